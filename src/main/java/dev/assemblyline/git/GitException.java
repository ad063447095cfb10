package dev.assemblyline.git;

/** A git operation that failed, with a message that says what was being done. */
public class GitException extends RuntimeException {
    public GitException(String message) {
        super(message);
    }

    public GitException(String message, Throwable cause) {
        super(message, cause);
    }
}

package dev.assemblyline.store;

/** A database operation that failed, saying which one. */
public class StoreException extends RuntimeException {
    public StoreException(String message, Throwable cause) {
        super(message + ": " + cause.getMessage(), cause);
    }
}

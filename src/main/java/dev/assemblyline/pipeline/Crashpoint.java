package dev.assemblyline.pipeline;

/**
 * Named points where a test can make the process die at once, as kill -9 would, to prove that nothing is
 * lost or doubled there: {@code -Dassembly.crashpoint=after-phase-commit} halts right after a phase change
 * is committed, before anything else happens. Without the property it does nothing.
 */
final class Crashpoint {
    private static final String ARMED = System.getProperty("assembly.crashpoint");

    private Crashpoint() {
    }

    static void hit(String name) {
        if (name.equals(ARMED)) {
            Runtime.getRuntime().halt(137);
        }
    }
}

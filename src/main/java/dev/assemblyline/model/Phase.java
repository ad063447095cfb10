package dev.assemblyline.model;

/** Where a service stands on its way from spec to production; see docs/ARCHITECTURE.md and the README's phase table. */
public enum Phase {
    NEEDS_SPEC,
    SPEC_INCOMPLETE,
    READY_FOR_BUILD,
    BUILD_IN_PROGRESS,
    NEEDS_TESTS,
    TESTING,
    TESTS_FAILING,
    READY_FOR_DEPLOY,
    PRODUCTION,
    UNHEALTHY,
    /** Not a service at all (a file, a hidden folder, a name with spaces): reported, never processed. */
    SKIPPED
}

package dev.assemblyline.model;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;

/**
 * A clock whose instants are truncated to microseconds, the precision H2 and PostgreSQL keep: an instant
 * made in memory equals the one read back after a restart. ({@code Clock.tick} with a microsecond tick
 * fails in {@code millis()} on Java 17.)
 */
public final class MicrosClock extends Clock {
    private final Clock base;

    private MicrosClock(Clock base) {
        this.base = base;
    }

    public static Clock of(Clock base) {
        return base instanceof MicrosClock ? base : new MicrosClock(base);
    }

    @Override
    public Instant instant() {
        return base.instant().truncatedTo(ChronoUnit.MICROS);
    }

    @Override
    public long millis() {
        return base.millis();
    }

    @Override
    public ZoneId getZone() {
        return base.getZone();
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return new MicrosClock(base.withZone(zone));
    }
}

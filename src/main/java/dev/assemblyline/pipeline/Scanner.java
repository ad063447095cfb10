package dev.assemblyline.pipeline;

import dev.assemblyline.git.ServiceEntry;
import dev.assemblyline.git.ServiceTrees;
import dev.assemblyline.model.Detection;
import dev.assemblyline.model.Facts;
import dev.assemblyline.model.Phase;
import dev.assemblyline.phase.PhaseDetector;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.eclipse.jgit.lib.ObjectId;

/**
 * Every entry under the services root at one commit, with its phase: services detected from their
 * snapshot and the facts the caller knows, other entries reported as {@link Phase#SKIPPED}.
 */
public final class Scanner {
    private final ServiceTrees trees;
    private final PhaseDetector detector;

    public Scanner(ServiceTrees trees, PhaseDetector detector) {
        this.trees = trees;
        this.detector = detector;
    }

    /** Scan with no facts: what the repository alone says (a service with tests is TESTING). */
    public List<Detection> scan(ObjectId commit) {
        return scan(commit, name -> Facts.NONE);
    }

    public List<Detection> scan(ObjectId commit, Function<String, Facts> facts) {
        List<ServiceEntry> entries = trees.entries(commit);
        List<ServiceEntry> services = new ArrayList<>(entries.size());
        for (ServiceEntry e : entries) {
            if (e.isService()) {
                services.add(e);
            }
        }
        List<Detection> detected = trees.mapServices(services, s -> detector.detect(s, facts.apply(s.name())));
        if (services.size() == entries.size()) {
            return detected;
        }
        List<Detection> all = new ArrayList<>(entries.size());
        int i = 0;
        for (ServiceEntry e : entries) {
            all.add(e.isService() ? detected.get(i++)
                    : new Detection(e.name(), Phase.SKIPPED, List.of("not a service: " + e.skipReason()), e.id().name()));
        }
        return all;
    }

    /**
     * Detections of just {@code names} at a commit: the root folder is read once and the services in
     * parallel, so a change of n services costs n service reads, not n walks from the root (a walk reads
     * the whole flat root tree). Names not there (or not services) are left out.
     */
    public List<Detection> detect(ObjectId commit, java.util.Collection<String> names, Function<String, Facts> facts) {
        return detect(commit, names, facts, s -> false);
    }

    /** The same, leaving out the services {@code unchanged} says need no new look (their detection is not made). */
    public List<Detection> detect(ObjectId commit, java.util.Collection<String> names, Function<String, Facts> facts,
                                  java.util.function.Predicate<dev.assemblyline.model.ServiceSnapshot> unchanged) {
        if (names.isEmpty()) {
            return List.of();
        }
        java.util.Set<String> wanted = names instanceof java.util.Set<String> set ? set : new java.util.HashSet<>(names);
        List<ServiceEntry> services = new ArrayList<>(wanted.size());
        for (ServiceEntry e : trees.entries(commit, wanted)) {
            if (e.isService()) {
                services.add(e);
            }
        }
        List<Detection> out = trees.mapServices(services, s -> unchanged.test(s) ? null : detector.detect(s, facts.apply(s.name())));
        out.removeIf(java.util.Objects::isNull);
        return out;
    }
}

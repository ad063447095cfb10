package dev.assemblyline.pipeline;

import java.util.ArrayList;
import java.util.List;

/** Reasons carry text from the repository (paths, README lines): bounded before they are stored or shown. */
final class Reasons {
    /** At most this many characters of one reason, and this many reasons, are kept, shown and announced. */
    static final int LIMIT = 300;
    private static final int COUNT = 20;

    private Reasons() {
    }

    static List<String> bounded(List<String> reasons) {
        List<String> out = new ArrayList<>(Math.min(reasons.size(), COUNT + 1));
        for (String r : reasons.size() > COUNT ? reasons.subList(0, COUNT) : reasons) {
            out.add(r.length() <= LIMIT ? r : r.substring(0, LIMIT - 1) + "…");
        }
        if (reasons.size() > COUNT) {
            out.add((reasons.size() - COUNT) + " more reasons");
        }
        return out;
    }
}

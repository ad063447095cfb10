package dev.assemblyline.model;

import java.util.List;

/** The phase of one service (or a skipped entry) with the sentences that explain it. */
public record Detection(String service, Phase phase, List<String> reasons, String tree) {

    public Detection {
        reasons = List.copyOf(reasons);
    }
}

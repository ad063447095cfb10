package dev.assemblyline.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reasons carry repository text: bounded before they are stored, shown or announced. */
class ReasonsTest {
    @Test
    void aLongReasonIsCutAndManyAreCounted() {
        List<String> many = new ArrayList<>();
        many.add("BUILD/ lacks " + "p/".repeat(10_000));
        for (int i = 0; i < 30; i++) {
            many.add("reason " + i);
        }
        List<String> b = Reasons.bounded(many);
        assertThat(b.get(0)).hasSize(Reasons.LIMIT).endsWith("…");
        assertThat(b).hasSize(21);
        assertThat(b.get(20)).isEqualTo("11 more reasons");
        assertThat(Reasons.bounded(List.of("short"))).containsExactly("short");
    }
}

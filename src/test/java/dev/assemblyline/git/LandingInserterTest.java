package dev.assemblyline.git;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.assemblyline.TestRepos;
import dev.assemblyline.Tools;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.jgit.internal.storage.file.ObjectDirectory;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Repository;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A landing's objects: the small ones in one pack, the large ones loose, all readable before and after the flush. */
class LandingInserterTest {
    @TempDir
    Path tmp;

    @Test
    void smallObjectsGoIntoOnePackAndLargeOnesStayLoose() throws Exception {
        Repository repo = TestRepos.bare(tmp.resolve("r.git"));
        Path objects = repo.getDirectory().toPath().resolve("objects");
        byte[] small = "a small merged file\n".getBytes(StandardCharsets.UTF_8);
        byte[] large = "a line of a large merged file\n".repeat(LandingInserter.SMALL / 20).getBytes(StandardCharsets.UTF_8);
        byte[] streamed = "a small object given as a stream\n".getBytes(StandardCharsets.UTF_8);
        ObjectId smallId;
        ObjectId largeId;
        ObjectId streamedId;
        try (LandingInserter ins = new LandingInserter((ObjectDirectory) repo.getObjectDatabase());
             ObjectInserter.Formatter jgit = new ObjectInserter.Formatter()) {
            smallId = ins.insert(Constants.OBJ_BLOB, small);
            largeId = ins.insert(Constants.OBJ_BLOB, large);
            streamedId = ins.insert(Constants.OBJ_BLOB, streamed.length, new ByteArrayInputStream(streamed));
            assertThat(smallId).isEqualTo(jgit.idFor(Constants.OBJ_BLOB, small));
            assertThat(largeId).isEqualTo(jgit.idFor(Constants.OBJ_BLOB, large));
            assertThat(streamedId).isEqualTo(jgit.idFor(Constants.OBJ_BLOB, streamed));
            try (ObjectReader before = ins.newReader()) { // a merge reads back the trees it made, before the flush
                assertThat(before.open(smallId).getBytes()).isEqualTo(small);
                assertThat(before.open(largeId).getBytes()).isEqualTo(large);
            }
            assertThatThrownBy(() -> ins.insert(Constants.OBJ_BLOB, 10, new ByteArrayInputStream(new byte[3])))
                    .isInstanceOf(IOException.class).hasMessageContaining("expected 10 bytes");
            ins.flush();
        }
        assertThat(loose(objects, largeId)).exists();
        assertThat(loose(objects, smallId)).doesNotExist();
        assertThat(loose(objects, streamedId)).doesNotExist();
        try (var packs = Files.list(objects.resolve("pack"))) {
            assertThat(packs.filter(p -> p.toString().endsWith(".pack")).count()).isEqualTo(1);
        }
        String git = repo.getDirectory().toString();
        assertThat(Tools.ok(tmp, "git", "--git-dir", git, "cat-file", "-p", smallId.name())).isEqualTo(new String(small, StandardCharsets.UTF_8));
        assertThat(Tools.ok(tmp, "git", "--git-dir", git, "cat-file", "-s", largeId.name()).strip()).isEqualTo(Integer.toString(large.length));
        assertThat(Tools.run(tmp, java.util.List.of("git", "--git-dir", git, "fsck", "--strict")).exit()).isZero();
    }

    private static Path loose(Path objects, ObjectId id) {
        return objects.resolve(id.name().substring(0, 2)).resolve(id.name().substring(2));
    }
}

package dev.assemblyline.git;

import static org.assertj.core.api.Assertions.assertThat;

import dev.assemblyline.TestRepos;
import dev.assemblyline.Tools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Repository;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator's own objects, hashed by the JDK and written as loose files by {@link OwnObjects}, must
 * be exactly git's: the same ids as JGit gives, readable by JGit and by git itself, and sound to git fsck.
 */
class OwnObjectsTest {
    @TempDir
    Path tmp;

    @Test
    void ownObjectsAreGitsObjects() throws Exception {
        Repository repo = TestRepos.bare(tmp.resolve("r.git"));
        byte[] big = new byte[300_000];
        new Random(7).nextBytes(big);
        byte[] text = "Status: ✅ PRODUCTION\n".getBytes(StandardCharsets.UTF_8);
        ObjectId bigId;
        ObjectId textId;
        ObjectId emptyId;
        try (ObjectInserter own = OwnObjects.of(repo); ObjectInserter.Formatter jgit = new ObjectInserter.Formatter()) {
            assertThat(own).isInstanceOf(OwnObjects.class);
            bigId = own.insert(Constants.OBJ_BLOB, big);
            textId = own.insert(Constants.OBJ_BLOB, text);
            emptyId = own.insert(Constants.OBJ_BLOB, new byte[0]);
            assertThat(bigId).isEqualTo(jgit.idFor(Constants.OBJ_BLOB, big));
            assertThat(textId).isEqualTo(jgit.idFor(Constants.OBJ_BLOB, text));
            assertThat(emptyId).isEqualTo(jgit.idFor(Constants.OBJ_BLOB, new byte[0]));
            assertThat(own.insert(Constants.OBJ_BLOB, text)).isEqualTo(textId); // again: the same id
            // a large object is loose; found again long after, it is touched, so that a prune of old unreachable
            // objects leaves it to the commit naming it
            Path loose = repo.getDirectory().toPath().resolve("objects/" + bigId.name().substring(0, 2) + "/" + bigId.name().substring(2));
            Files.setLastModifiedTime(loose, java.nio.file.attribute.FileTime.fromMillis(1_000_000L));
            assertThat(own.insert(Constants.OBJ_BLOB, big)).isEqualTo(bigId);
            assertThat(Files.getLastModifiedTime(loose).toMillis()).isGreaterThan(System.currentTimeMillis() - 60_000);
            try (var before = own.newReader()) { // the small ones, readable before the flush
                assertThat(before.open(textId).getBytes()).isEqualTo(text);
            }
            own.flush();
        }
        // the small objects are in one pack, not loose: fetches send them as they are (LandingInserter)
        Path objects = repo.getDirectory().toPath().resolve("objects");
        assertThat(objects.resolve(textId.name().substring(0, 2)).resolve(textId.name().substring(2))).doesNotExist();
        try (var packs = Files.list(objects.resolve("pack"))) {
            assertThat(packs.filter(p -> p.toString().endsWith(".pack")).count()).isEqualTo(1);
        }
        try (var reader = repo.newObjectReader()) {
            assertThat(reader.open(bigId).getBytes()).isEqualTo(big);
            assertThat(reader.open(textId).getBytes()).isEqualTo(text);
        }
        assertThat(Tools.ok(tmp, "git", "--git-dir", repo.getDirectory().toString(), "cat-file", "-p", textId.name()))
                .isEqualTo(new String(text, StandardCharsets.UTF_8));
        try (var files = Files.list(repo.getDirectory().toPath().resolve("objects"))) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("own_")); // no temporary file left
        }
    }

    @Test
    void aCommitByTreeEditIsSoundToGitFsck() throws Exception {
        Repository repo = TestRepos.bare(tmp.resolve("r.git"));
        ObjectId first = new TreeEdit().put("SERVICES/a/README.md", "# a\n".getBytes(StandardCharsets.UTF_8))
                .put("SERVICES/b/SPEC.md", "# b\n".getBytes(StandardCharsets.UTF_8))
                .commit(repo, null, new PersonIdent("bot", "bot@localhost"), "first");
        ObjectId second = new TreeEdit().put("SERVICE_REGISTRY.json", "{}\n".getBytes(StandardCharsets.UTF_8))
                .put("SERVICES/a/README.md", "# a\n\nStatus: x\n".getBytes(StandardCharsets.UTF_8))
                .commit(repo, first, new PersonIdent("bot", "bot@localhost"), "second");
        String dir = repo.getDirectory().toString();
        Tools.ok(tmp, "git", "--git-dir", dir, "update-ref", "refs/heads/main", second.name());
        Tools.ok(tmp, "git", "--git-dir", dir, "fsck", "--strict", "--no-dangling");
        assertThat(Tools.ok(tmp, "git", "--git-dir", dir, "show", "main:SERVICES/a/README.md")).isEqualTo("# a\n\nStatus: x\n");
        assertThat(Tools.ok(tmp, "git", "--git-dir", dir, "rev-parse", "main~1")).isEqualTo(first.name() + "\n");
    }
}

package dev.assemblyline.git;

import dev.assemblyline.model.FileEntry;
import dev.assemblyline.model.ServiceName;
import dev.assemblyline.model.ServiceSnapshot;
import dev.assemblyline.model.StatusLine;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectLoader;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.TreeFormatter;
import org.eclipse.jgit.treewalk.CanonicalTreeParser;

/**
 * Reads the services under a root folder at a commit, straight from git objects. Service folders are
 * read in parallel (one {@link ObjectReader} per task); files are read only when phase detection needs
 * them, and never past {@link #contentLimit} bytes.
 */
public final class ServiceTrees implements AutoCloseable {
    /** Bytes read of a SPEC.md or README.md at most; a bigger file is judged on its start. */
    public static final int DEFAULT_CONTENT_LIMIT = 1 << 20;
    private static final int CHUNK = 256;

    private final GitRepo repo;
    private final String root;
    private final int contentLimit;
    private final ExecutorService pool;

    public ServiceTrees(GitRepo repo, String root) {
        this(repo, root, DEFAULT_CONTENT_LIMIT, Runtime.getRuntime().availableProcessors());
    }

    public ServiceTrees(GitRepo repo, String root, int contentLimit, int threads) {
        this.repo = repo;
        this.root = normaliseRoot(root);
        this.contentLimit = contentLimit;
        this.pool = Executors.newFixedThreadPool(Math.max(1, threads), r -> {
            Thread t = new Thread(r, "service-trees");
            t.setDaemon(true);
            return t;
        });
    }

    /** "SERVICES/", "./SERVICES" and "SERVICES" are the same root; ".." and absolute paths are refused. */
    public static String normaliseRoot(String root) {
        String r = root == null ? "" : root.strip().replace('\\', '/');
        while (r.startsWith("./")) {
            r = r.substring(2);
        }
        r = r.replaceAll("/+", "/");
        if (r.endsWith("/")) {
            r = r.substring(0, r.length() - 1);
        }
        if (r.startsWith("/") || Arrays.asList(r.split("/")).contains("..") || r.equals(".")) {
            throw new IllegalArgumentException("services root must be a folder inside the repository, not '" + root + "'");
        }
        return r;
    }

    public String root() {
        return root;
    }

    public GitRepo repo() {
        return repo;
    }

    /** The root folder's tree id at a commit, or null when the commit has no such folder. */
    public ObjectId rootTree(ObjectId commit) {
        try (ObjectReader reader = repo.repository().newObjectReader()) {
            return repo.folderAt(reader, commit, root);
        } catch (IOException e) {
            throw new GitException("reading " + root + "/ at " + commit.name(), e);
        }
    }

    /** Every entry directly under the root at a commit, in git's order; empty when there is no root. */
    public List<ServiceEntry> entries(ObjectId commit) {
        try (ObjectReader reader = repo.repository().newObjectReader()) {
            ObjectId tree = repo.folderAt(reader, commit, root);
            return tree == null ? List.of() : entriesOfTree(reader, tree);
        } catch (IOException e) {
            throw new GitException("listing " + root + "/ at " + commit.name(), e);
        }
    }

    static List<ServiceEntry> entriesOfTree(ObjectReader reader, ObjectId tree) throws IOException {
        List<ServiceEntry> out = new ArrayList<>();
        CanonicalTreeParser p = new CanonicalTreeParser(null, reader, tree);
        for (; !p.eof(); p.next()) {
            String name = p.getEntryPathString();
            FileMode mode = p.getEntryFileMode();
            boolean folder = mode == FileMode.TREE;
            String skip;
            if (!folder) {
                skip = mode == FileMode.SYMLINK ? "symbolic link, not a folder"
                        : mode == FileMode.GITLINK ? "submodule, not a folder" : "file, not a folder";
            } else {
                skip = ServiceName.problem(name);
            }
            out.add(new ServiceEntry(name, p.getEntryObjectId(), folder, skip));
        }
        return out;
    }

    /** The snapshot of one service at a commit, or null when it is not there. */
    public ServiceSnapshot snapshot(ObjectId commit, String service) {
        ServiceName.require(service);
        try (ObjectReader reader = repo.repository().newObjectReader()) {
            ObjectId tree = repo.folderAt(reader, commit, root.isEmpty() ? service : root + "/" + service);
            return tree == null ? null : read(reader, service, tree);
        } catch (IOException e) {
            throw new GitException("reading " + root + "/" + service + " at " + commit.name(), e);
        }
    }

    /**
     * Applies {@code fn} to the snapshot of every service entry, in parallel, and returns the results in
     * the entries' order. Snapshots are dropped as soon as {@code fn} returns, so memory stays flat.
     */
    public <T> List<T> mapServices(List<ServiceEntry> entries, Function<ServiceSnapshot, T> fn) {
        List<Future<List<T>>> parts = new ArrayList<>();
        for (int from = 0; from < entries.size(); from += CHUNK) {
            List<ServiceEntry> chunk = entries.subList(from, Math.min(entries.size(), from + CHUNK));
            parts.add(pool.submit(() -> {
                List<T> out = new ArrayList<>(chunk.size());
                try (ObjectReader reader = repo.repository().newObjectReader()) {
                    for (ServiceEntry e : chunk) {
                        out.add(fn.apply(read(reader, e.name(), e.id())));
                    }
                }
                return out;
            }));
        }
        List<T> all = new ArrayList<>(entries.size());
        try {
            for (Future<List<T>> f : parts) {
                all.addAll(f.get());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GitException("interrupted while reading services", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) {
                throw re;
            }
            throw new GitException("reading services under " + root + "/: " + c.getMessage(), c);
        }
        return all;
    }

    private ServiceSnapshot read(ObjectReader reader, String name, ObjectId tree) throws IOException {
        FileEntry spec = null;
        FileEntry readme = null;
        ObjectId build = null;
        boolean production = false;
        CanonicalTreeParser p = new CanonicalTreeParser(null, reader, tree);
        for (; !p.eof(); p.next()) {
            String entry = p.getEntryPathString();
            switch (entry) {
                case "SPEC.md" -> spec = file(reader, p);
                case "README.md" -> readme = file(reader, p);
                case "BUILD" -> build = p.getEntryFileMode() == FileMode.TREE ? p.getEntryObjectId() : null;
                case "PRODUCTION" -> production = p.getEntryFileMode() == FileMode.TREE;
                default -> {
                }
            }
        }
        boolean tests = false;
        List<String> buildFiles = new ArrayList<>();
        if (build != null) {
            ObjectId src = null;
            CanonicalTreeParser b = new CanonicalTreeParser(null, reader, build);
            for (; !b.eof(); b.next()) {
                String entry = b.getEntryPathString();
                boolean folder = b.getEntryFileMode() == FileMode.TREE;
                buildFiles.add(folder ? entry + "/" : entry);
                if (folder && entry.equals("tests")) {
                    tests = true;
                } else if (folder && entry.equals("src")) {
                    src = b.getEntryObjectId();
                }
            }
            if (src != null) {
                CanonicalTreeParser sp = new CanonicalTreeParser(null, reader, src);
                for (; !sp.eof(); sp.next()) {
                    buildFiles.add("src/" + sp.getEntryPathString() + (sp.getEntryFileMode() == FileMode.TREE ? "/" : ""));
                }
            }
        }
        String identity = readme != null && readme.isRegular() && StatusLine.has(readme.content()) ? identity(reader, tree) : tree.name();
        return new ServiceSnapshot(name, identity, spec, readme, build != null, tests, production, buildFiles, tree.name());
    }

    /**
     * The folder's tree id as it would be with its README.md's status line taken out (and without the file
     * when nothing else is in it): the identity results are tied to, so the coordinator's own write-back
     * never makes a tested tree new. Hashed only; nothing is written to the repository.
     */
    static String identity(ObjectReader reader, ObjectId tree) throws IOException {
        TreeFormatter f = new TreeFormatter();
        CanonicalTreeParser p = new CanonicalTreeParser(null, reader, tree);
        for (; !p.eof(); p.next()) {
            if (p.getEntryPathString().equals("README.md") && p.getEntryFileMode() != FileMode.TREE) {
                byte[] whole = reader.open(p.getEntryObjectId(), Constants.OBJ_BLOB).getBytes(Integer.MAX_VALUE - 16);
                byte[] stripped = StatusLine.strip(whole);
                if (stripped.length > 0) {
                    f.append(p.getEntryPathBuffer(), 0, p.getEntryPathLength(), p.getEntryFileMode(),
                            new ObjectInserter.Formatter().idFor(Constants.OBJ_BLOB, stripped));
                }
            } else {
                f.append(p.getEntryPathBuffer(), 0, p.getEntryPathLength(), p.getEntryFileMode(), p.getEntryObjectId());
            }
        }
        return f.computeId(new ObjectInserter.Formatter()).name();
    }

    private FileEntry file(ObjectReader reader, CanonicalTreeParser p) throws IOException {
        FileMode mode = p.getEntryFileMode();
        if (mode == FileMode.SYMLINK) {
            return FileEntry.of(FileEntry.Kind.SYMLINK);
        }
        if (mode == FileMode.TREE) {
            return FileEntry.of(FileEntry.Kind.FOLDER);
        }
        if (mode != FileMode.REGULAR_FILE && mode != FileMode.EXECUTABLE_FILE) {
            return FileEntry.of(FileEntry.Kind.OTHER);
        }
        ObjectLoader loader = reader.open(p.getEntryObjectId(), Constants.OBJ_BLOB);
        long size = loader.getSize();
        byte[] content;
        if (size <= contentLimit) {
            content = loader.getCachedBytes(contentLimit);
        } else {
            try (InputStream in = loader.openStream()) {
                content = in.readNBytes(contentLimit);
            }
        }
        return new FileEntry(FileEntry.Kind.REGULAR, size, content);
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}

package dev.assemblyline.git;

import dev.assemblyline.model.FileEntry;
import dev.assemblyline.model.Layout;
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
    private volatile Layout layout;
    private final int contentLimit;
    private final ExecutorService pool;

    public ServiceTrees(GitRepo repo, String root) {
        this(repo, root, DEFAULT_CONTENT_LIMIT, Runtime.getRuntime().availableProcessors());
    }

    public ServiceTrees(GitRepo repo, String root, int contentLimit, int threads) {
        this.repo = repo;
        this.layout = Layout.DEFAULT.withRoot(normaliseRoot(root));
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
        if (r.startsWith("/") || Arrays.asList(r.split("/")).contains("..") || r.equals(".")
                || Arrays.stream(r.split("/")).anyMatch(x -> x.equalsIgnoreCase(".git"))) {
            throw new IllegalArgumentException("services root must be a folder inside the repository, not '" + root + "'");
        }
        return r;
    }

    public String root() {
        return layout.root();
    }

    public Layout layout() {
        return layout;
    }

    /** Reads services by another layout from now on (assembly.yml changed it; docs/layouts.md). */
    public void layout(Layout l) {
        this.layout = l;
    }

    /** The service's spec at a commit (the first of the layout's spec files there), or null. */
    public byte[] specAt(ObjectId commit, String service, int limit) {
        ServiceName.require(service);
        Layout l = layout;
        for (String name : l.spec()) {
            byte[] b = repo.fileAt(commit, (l.root().isEmpty() ? "" : l.root() + "/") + service + "/" + name, limit);
            if (b != null) {
                return b;
            }
        }
        return null;
    }

    public GitRepo repo() {
        return repo;
    }

    /** The root folder's tree id at a commit, or null when the commit has no such folder. */
    public ObjectId rootTree(ObjectId commit) {
        String root = layout.root();
        try (ObjectReader reader = repo.repository().newObjectReader()) {
            return repo.folderAt(reader, commit, root);
        } catch (IOException e) {
            throw new GitException("reading " + root + "/ at " + commit.name(), e);
        }
    }

    /** Every entry directly under the root at a commit, in git's order; empty when there is no root. */
    public List<ServiceEntry> entries(ObjectId commit) {
        String root = layout.root();
        try (ObjectReader reader = repo.repository().newObjectReader()) {
            ObjectId tree = repo.folderAt(reader, commit, root);
            return tree == null ? List.of() : entriesOfTree(reader, tree);
        } catch (IOException e) {
            throw new GitException("listing " + root + "/ at " + commit.name(), e);
        }
    }

    /**
     * The entries named {@code names} (those that are there), in the folder's order. A few names of a large
     * folder are found in the listing's bytes: a one-service change costs a scan, not an entry per service.
     */
    public List<ServiceEntry> entries(ObjectId commit, java.util.Set<String> names) {
        if (names.size() > 64) {
            List<ServiceEntry> out = new ArrayList<>();
            for (ServiceEntry e : entries(commit)) {
                if (names.contains(e.name())) {
                    out.add(e);
                }
            }
            return out;
        }
        String root = layout.root();
        try (ObjectReader reader = repo.repository().newObjectReader()) {
            ObjectId tree = repo.folderAt(reader, commit, root);
            if (tree == null) {
                return List.of();
            }
            byte[] raw = RawTree.read(reader, tree);
            java.util.TreeMap<Integer, ServiceEntry> found = new java.util.TreeMap<>();
            for (String name : names) {
                int p = RawTree.find(raw, name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                if (p >= 0) {
                    found.put(p, entry(name, RawTree.mode(raw, p), RawTree.id(raw, p)));
                }
            }
            return new ArrayList<>(found.values());
        } catch (IOException e) {
            throw new GitException("listing " + root + "/ at " + commit.name(), e);
        }
    }

    private static ServiceEntry entry(String name, FileMode mode, ObjectId id) {
        boolean folder = mode == FileMode.TREE;
        String skip;
        if (!folder) {
            skip = mode == FileMode.SYMLINK ? "symbolic link, not a folder"
                    : mode == FileMode.GITLINK ? "submodule, not a folder" : "file, not a folder";
        } else {
            skip = ServiceName.problem(name);
        }
        return new ServiceEntry(name, id, folder, skip);
    }

    static List<ServiceEntry> entriesOfTree(ObjectReader reader, ObjectId tree) throws IOException {
        List<ServiceEntry> out = new ArrayList<>();
        CanonicalTreeParser p = new CanonicalTreeParser(null, reader, tree);
        for (; !p.eof(); p.next()) {
            out.add(entry(p.getEntryPathString(), p.getEntryFileMode(), p.getEntryObjectId()));
        }
        return out;
    }

    /** The snapshot of one service at a commit, or null when it is not there. */
    public ServiceSnapshot snapshot(ObjectId commit, String service) {
        ServiceName.require(service);
        Layout l = layout;
        String root = l.root();
        try (ObjectReader reader = repo.repository().newObjectReader()) {
            ObjectId tree = repo.folderAt(reader, commit, root.isEmpty() ? service : root + "/" + service);
            return tree == null ? null : read(reader, service, tree, l);
        } catch (IOException e) {
            throw new GitException("reading " + root + "/" + service + " at " + commit.name(), e);
        }
    }

    /**
     * Applies {@code fn} to the snapshot of every service entry, in parallel, and returns the results in
     * the entries' order. Snapshots are dropped as soon as {@code fn} returns, so memory stays flat.
     */
    public <T> List<T> mapServices(List<ServiceEntry> entries, Function<ServiceSnapshot, T> fn) {
        Layout l = layout;
        List<Future<List<T>>> parts = new ArrayList<>();
        for (int from = 0; from < entries.size(); from += CHUNK) {
            List<ServiceEntry> chunk = entries.subList(from, Math.min(entries.size(), from + CHUNK));
            parts.add(pool.submit(() -> {
                List<T> out = new ArrayList<>(chunk.size());
                try (ObjectReader reader = repo.repository().newObjectReader()) {
                    for (ServiceEntry e : chunk) {
                        out.add(fn.apply(read(reader, e.name(), e.id(), l)));
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
            throw new GitException("reading services under " + l.root() + "/: " + c.getMessage(), c);
        }
        return all;
    }

    /** The files that make a folder a service's code where the layout has no build folder of its own (what `init` looks for). */
    public static boolean isBuildMarker(String file) {
        return switch (file) {
            case "Dockerfile", "pom.xml", "build.gradle", "build.gradle.kts", "package.json", "go.mod", "pyproject.toml", "requirements.txt",
                 "setup.py", "Cargo.toml" -> true;
            default -> file.endsWith(".csproj") || file.endsWith(".fsproj") || file.endsWith(".sln");
        };
    }

    private ServiceSnapshot read(ObjectReader reader, String name, ObjectId tree, Layout layout) throws IOException {
        java.util.Map<String, FileEntry> files = new java.util.HashMap<>(4);
        CanonicalTreeParser p = new CanonicalTreeParser(null, reader, tree);
        for (; !p.eof(); p.next()) {
            String entry = p.getEntryPathString();
            if (entry.equals("README.md") || layout.spec().contains(entry)) {
                files.put(entry, file(reader, p));
            }
        }
        FileEntry spec = null;
        for (String wanted : layout.spec()) {
            if ((spec = files.get(wanted)) != null) {
                break;
            }
        }
        FileEntry readme = files.get("README.md");
        ObjectId build = layout.buildFolder() ? folder(reader, tree, layout.build()) : tree;
        boolean tests = false;
        List<String> buildFiles = new ArrayList<>();
        boolean marker = false;
        if (build != null) {
            ObjectId src = null;
            CanonicalTreeParser b = new CanonicalTreeParser(null, reader, build);
            for (; !b.eof(); b.next()) {
                String entry = b.getEntryPathString();
                boolean isFolder = b.getEntryFileMode() == FileMode.TREE;
                buildFiles.add(isFolder ? entry + "/" : entry);
                marker |= !isFolder && isBuildMarker(entry);
                if (isFolder && entry.equals("src")) {
                    src = b.getEntryObjectId();
                }
            }
            if (src != null) {
                CanonicalTreeParser sp = new CanonicalTreeParser(null, reader, src);
                for (; !sp.eof(); sp.next()) {
                    buildFiles.add("src/" + sp.getEntryPathString() + (sp.getEntryFileMode() == FileMode.TREE ? "/" : ""));
                }
            }
            for (String pattern : layout.tests()) {
                if (tests = matches(reader, build, pattern)) {
                    break;
                }
            }
        }
        // a build folder of its own counts once it exists; the service folder itself once it holds a build file
        boolean hasBuild = layout.buildFolder() ? build != null : marker;
        if (!hasBuild) {
            buildFiles.clear();
            tests = false;
        }
        boolean production = false;
        for (String pattern : layout.production()) {
            if (production = matches(reader, tree, pattern)) {
                break;
            }
        }
        String identity = readme != null && readme.isRegular() && StatusLine.has(readme.content())
                ? identity(reader, tree, readme.truncated() ? null : readme.content()) : tree.name();
        return new ServiceSnapshot(name, identity, spec, readme, hasBuild, tests, production, buildFiles, tree.name(),
                layout.withRoot(Layout.DEFAULT.root()).equals(Layout.DEFAULT) ? null : layout);
    }

    /** The folder at a relative path inside a tree, or null. */
    private static ObjectId folder(ObjectReader reader, ObjectId tree, String path) throws IOException {
        ObjectId at = tree;
        for (String part : path.split("/")) {
            if (part.isEmpty()) {
                continue;
            }
            ObjectId next = null;
            CanonicalTreeParser p = new CanonicalTreeParser(null, reader, at);
            for (; !p.eof(); p.next()) {
                if (p.getEntryPathString().equals(part)) {
                    next = p.getEntryFileMode() == FileMode.TREE ? p.getEntryObjectId() : null;
                    break;
                }
            }
            if (next == null) {
                return null;
            }
            at = next;
        }
        return at;
    }

    /** Entries a file-name pattern may look at in one service before it gives up (a vendored tree is not searched whole). */
    static final int PATTERN_LIMIT = 20_000;

    /**
     * Whether a layout's evidence is in a tree: "x/" a folder at that path, "a/b.json" a file at that path,
     * a pattern with * or ? a file whose name (or, with a '/', whose path) matches, at any depth.
     */
    static boolean matches(ObjectReader reader, ObjectId tree, String pattern) throws IOException {
        return !matching(reader, tree, List.of(pattern)).isEmpty();
    }

    /** The patterns (as {@link #matches} reads them) found in a tree; the file-name patterns share one walk. */
    public static java.util.Set<String> matching(ObjectReader reader, ObjectId tree, List<String> patterns) throws IOException {
        java.util.Set<String> found = new java.util.LinkedHashSet<>();
        java.util.Map<String, java.util.regex.Pattern> globs = new java.util.LinkedHashMap<>();
        for (String pattern : patterns) {
            if (pattern.contains("*") || pattern.contains("?")) {
                globs.put(pattern, globRegex(pattern));
            } else if (pattern.endsWith("/")) {
                if (folder(reader, tree, pattern) != null) {
                    found.add(pattern);
                }
            } else {
                int slash = pattern.lastIndexOf('/');
                ObjectId dir = slash < 0 ? tree : folder(reader, tree, pattern.substring(0, slash));
                if (dir != null && has(reader, dir, pattern.substring(slash + 1))) {
                    found.add(pattern); // a file, or a folder of that name
                }
            }
        }
        if (!globs.isEmpty()) {
            List<Glob> pending = new ArrayList<>();
            globs.forEach((text, re) -> pending.add(new Glob(text, re)));
            walk(reader, tree, "", pending, found, new int[] {PATTERN_LIMIT});
        }
        return found;
    }

    /**
     * A file-name pattern. One made of literal parts and single stars, with no '/' ({@code *_test.go},
     * {@code test_*.py}), is matched on the name's bytes, with no decoding and no regular expression (a
     * large repository has a great many names to look at); any other is matched as a regular expression.
     */
    private record Glob(String text, java.util.regex.Pattern regex, byte[][] parts) {
        Glob(String text, java.util.regex.Pattern regex) {
            this(text, regex, text.contains("/") || text.contains("?") || text.contains("**") ? null : split(text));
        }

        private static byte[][] split(String text) {
            String[] p = text.split("\\*", -1);
            byte[][] out = new byte[p.length][];
            for (int i = 0; i < p.length; i++) {
                out[i] = p[i].getBytes(java.nio.charset.StandardCharsets.UTF_8);
            }
            return out;
        }

        boolean matches(byte[] buf, int len, String dir) {
            if (parts == null) {
                String name = new String(buf, 0, len, java.nio.charset.StandardCharsets.UTF_8);
                return regex.matcher(text.contains("/") ? dir + name : name).matches();
            }
            byte[] first = parts[0];
            byte[] last = parts[parts.length - 1];
            if (len < first.length + (parts.length > 1 ? last.length : 0) || !region(buf, 0, first)) {
                return false;
            }
            if (parts.length == 1) {
                return len == first.length;
            }
            int end = len - last.length;
            if (!region(buf, end, last)) {
                return false;
            }
            int at = first.length;
            for (int i = 1; i < parts.length - 1; i++) { // the middle parts, in order, between the two ends
                int found = -1;
                for (int j = at; j + parts[i].length <= end; j++) {
                    if (region(buf, j, parts[i])) {
                        found = j;
                        break;
                    }
                }
                if (found < 0) {
                    return false;
                }
                at = found + parts[i].length;
            }
            return true;
        }

        private static boolean region(byte[] buf, int at, byte[] part) {
            for (int i = 0; i < part.length; i++) {
                if (buf[at + i] != part[i]) {
                    return false;
                }
            }
            return true;
        }
    }

    /** Looks for the pending patterns' files below a tree, crossing off each one found; at most {@code budget} entries. */
    private static void walk(ObjectReader reader, ObjectId tree, String dir, List<Glob> pending, java.util.Set<String> found, int[] budget)
            throws IOException {
        List<ObjectId> folders = null;
        List<String> names = null;
        CanonicalTreeParser p = new CanonicalTreeParser(null, reader, tree);
        for (; !p.eof() && !pending.isEmpty(); p.next()) {
            if (--budget[0] < 0) {
                return;
            }
            if (p.getEntryFileMode() == FileMode.TREE) {
                if (folders == null) {
                    folders = new ArrayList<>();
                    names = new ArrayList<>();
                }
                folders.add(p.getEntryObjectId());
                names.add(p.getEntryPathString());
                continue;
            }
            byte[] buf = p.getEntryPathBuffer();
            int len = p.getEntryPathLength();
            for (var it = pending.iterator(); it.hasNext(); ) {
                Glob g = it.next();
                if (g.matches(buf, len, dir)) {
                    found.add(g.text());
                    it.remove();
                }
            }
        }
        for (int i = 0; folders != null && i < folders.size() && !pending.isEmpty() && budget[0] >= 0; i++) {
            walk(reader, folders.get(i), dir + names.get(i) + "/", pending, found, budget);
        }
    }

    private static boolean has(ObjectReader reader, ObjectId dir, String name) throws IOException {
        CanonicalTreeParser p = new CanonicalTreeParser(null, reader, dir);
        for (; !p.eof(); p.next()) {
            if (p.getEntryPathString().equals(name)) {
                return true;
            }
        }
        return false;
    }

    /** The folder at a relative path inside a tree, or null. */
    public static ObjectId folderIn(ObjectReader reader, ObjectId tree, String path) throws IOException {
        return folder(reader, tree, path);
    }

    private static final java.util.Map<String, java.util.regex.Pattern> GLOBS = new java.util.concurrent.ConcurrentHashMap<>();

    /** A glob as a regular expression: {@code **} any path, {@code *} any name part, {@code ?} one character. Compiled once. */
    static java.util.regex.Pattern globRegex(String glob) {
        return GLOBS.computeIfAbsent(glob, g -> {
            StringBuilder re = new StringBuilder();
            for (int i = 0; i < g.length(); i++) {
                char c = g.charAt(i);
                if (c == '*' && i + 1 < g.length() && g.charAt(i + 1) == '*') {
                    re.append(".*");
                    i++;
                    if (i + 1 < g.length() && g.charAt(i + 1) == '/') {
                        re.append("/?");
                        i++;
                    }
                } else if (c == '*') {
                    re.append("[^/]*");
                } else if (c == '?') {
                    re.append("[^/]");
                } else if (Character.isLetterOrDigit(c)) {
                    re.append(c);
                } else {
                    re.append('\\').append(c);
                }
            }
            return java.util.regex.Pattern.compile(re.toString());
        });
    }

    /**
     * The folder's tree id as it would be with its README.md's status line taken out (and without the file
     * when nothing else is in it): the identity results are tied to, so the coordinator's own write-back
     * never makes a tested tree new. Hashed only; nothing is written to the repository.
     */
    static String identity(ObjectReader reader, ObjectId tree, byte[] readme) throws IOException {
        TreeFormatter f = new TreeFormatter();
        CanonicalTreeParser p = new CanonicalTreeParser(null, reader, tree);
        for (; !p.eof(); p.next()) {
            if (p.getEntryPathString().equals("README.md") && p.getEntryFileMode() != FileMode.TREE) {
                byte[] whole = readme != null ? readme : reader.open(p.getEntryObjectId(), Constants.OBJ_BLOB).getBytes(Integer.MAX_VALUE - 16);
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

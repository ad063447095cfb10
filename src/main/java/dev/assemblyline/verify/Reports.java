package dev.assemblyline.verify;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * Counts from JUnit XML reports (pytest --junitxml, Surefire) and line coverage from Cobertura or JaCoCo
 * XML. The parser refuses DTDs and external entities: the files come from the code under test.
 */
public final class Reports {
    private Reports() {
    }

    /** Totals of all JUnit reports found. */
    public record Counts(int tests, int failed, int errors, int skipped, List<String> failing, int files) {
    }

    public static Counts junit(Path dir) {
        return junit(dir, Map.of());
    }

    /**
     * The XML files under {@code dir} with a hash of their content: taken before a run, so that only the
     * files the run wrote or changed count afterwards ({@link #junit(Path, Map)}). A tree that brings its own
     * reports gets no credit for them, whatever their modification times say.
     */
    public static Map<Path, String> fingerprints(Path dir) {
        Map<Path, String> out = new HashMap<>();
        for (Path f : xmlFiles(dir, Map.of())) {
            try {
                out.put(f, dev.assemblyline.ingest.Hmac.sha256(Files.readAllBytes(f)));
            } catch (IOException e) {
                // unreadable now: it will not be counted later either
            }
        }
        return out;
    }

    /** Only reports not in {@code before} (new, or with other content) count. */
    public static Counts junit(Path dir, Map<Path, String> before) {
        int tests = 0;
        int failed = 0;
        int errors = 0;
        int skipped = 0;
        int files = 0;
        List<String> failing = new ArrayList<>();
        for (Path f : xmlFiles(dir, before)) {
            Document d = parse(f);
            if (d == null) {
                continue;
            }
            String root = d.getDocumentElement().getTagName();
            if (!root.equals("testsuite") && !root.equals("testsuites")) {
                continue;
            }
            files++;
            NodeList cases = d.getElementsByTagName("testcase");
            for (int i = 0; i < cases.getLength(); i++) {
                Element c = (Element) cases.item(i);
                tests++;
                String name = (c.getAttribute("classname").isEmpty() ? "" : c.getAttribute("classname") + ".") + c.getAttribute("name");
                if (c.getElementsByTagName("failure").getLength() > 0) {
                    failed++;
                    failing.add(name);
                } else if (c.getElementsByTagName("error").getLength() > 0) {
                    errors++;
                    failing.add(name);
                } else if (c.getElementsByTagName("skipped").getLength() > 0) {
                    skipped++;
                }
            }
        }
        return new Counts(tests, failed, errors, skipped, failing.size() > 20 ? failing.subList(0, 20) : failing, files);
    }

    /** Line coverage 0..100 from the first Cobertura ({@code coverage line-rate}) or JaCoCo ({@code report}) file; null if none. */
    public static Double coverage(Path dir) {
        return coverage(dir, Map.of());
    }

    /** As {@link #junit(Path, Map)}: only files the run wrote count. */
    public static Double coverage(Path dir, Map<Path, String> before) {
        for (Path f : xmlFiles(dir, before)) {
            Document d = parse(f);
            if (d == null) {
                continue;
            }
            Element root = d.getDocumentElement();
            if (root.getTagName().equals("coverage") && !root.getAttribute("line-rate").isEmpty()) {
                try {
                    return Math.round(Double.parseDouble(root.getAttribute("line-rate")) * 1000) / 10.0;
                } catch (NumberFormatException e) {
                    continue;
                }
            }
            if (root.getTagName().equals("report")) {
                NodeList counters = root.getChildNodes();
                for (int i = 0; i < counters.getLength(); i++) {
                    if (counters.item(i) instanceof Element c && c.getTagName().equals("counter") && c.getAttribute("type").equals("LINE")) {
                        try {
                            double covered = Double.parseDouble(c.getAttribute("covered"));
                            double missed = Double.parseDouble(c.getAttribute("missed"));
                            return covered + missed == 0 ? 0.0 : Math.round(covered / (covered + missed) * 1000) / 10.0;
                        } catch (NumberFormatException bad) {
                            break;
                        }
                    }
                }
            }
        }
        return null;
    }

    private static List<Path> xmlFiles(Path dir, Map<Path, String> before) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(dir, 6)) {
            return s.filter(p -> p.toString().endsWith(".xml") && Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                            && !p.toString().contains("/node_modules/")
                            && !dir.relativize(p).toString().startsWith(TestRunner.MEASURED + "/"))
                    .filter(p -> {
                        try {
                            if (Files.size(p) >= 50L << 20) {
                                return false;
                            }
                            String had = before.get(p);
                            return had == null || !had.equals(dev.assemblyline.ingest.Hmac.sha256(Files.readAllBytes(p)));
                        } catch (IOException e) {
                            return false;
                        }
                    }).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static Document parse(Path f) {
        try {
            DocumentBuilderFactory dbf = DocumentBuilderFactory.newInstance();
            // JaCoCo reports carry a DOCTYPE: allowed, but never fetched or expanded
            dbf.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            dbf.setFeature(javax.xml.XMLConstants.FEATURE_SECURE_PROCESSING, true);
            dbf.setFeature("http://xml.org/sax/features/external-general-entities", false);
            dbf.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            dbf.setXIncludeAware(false);
            dbf.setExpandEntityReferences(false);
            DocumentBuilder b = dbf.newDocumentBuilder();
            b.setErrorHandler(null);
            try (InputStream in = Files.newInputStream(f)) {
                return b.parse(in);
            }
        } catch (ParserConfigurationException | SAXException | IOException e) {
            return null;
        }
    }
}

package io.intbench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code simulate --html} and {@code golden --html} on LeNet: the page is self-contained, draws one bar per layer
 * with the report's numbers, places the roofline dots at the intensity worked out from LeNet's architecture, holds
 * the agreement and requantization tables; and, in headless Chromium (installed by {@code .ci/run}; the browser
 * tests are skipped where it is missing), the charts are laid out, no script error occurs and the screenshot shows
 * the chart colours.
 */
class HtmlReportTest {
    static final ObjectMapper JSON = new ObjectMapper();
    /** LeNet's layers and MACs, from the architecture (see {@link CliHappyPathTest#LENET_LAYER_MACS}). */
    static final Map<String, Long> LAYERS = CliHappyPathTest.LENET_LAYER_MACS;

    @TempDir
    static Path dir;
    static Path simHtml;
    static Path goldenHtml;
    static JsonNode simReport;
    static JsonNode goldenReport;

    @BeforeAll
    static void writePages() throws IOException {
        Path model = Cli.fixture("lenet.u8s8pc.qdq.onnx", dir);
        Path input = Cli.fixture("lenet.input.npy", dir);
        Path program = dir.resolve("lenet.ibc");
        Cli.Result c = Cli.run("compile", model, "-o", program, "-q");
        assertEquals(0, c.status(), c::toString);
        Path out = Files.createDirectory(dir.resolve("out"));
        simHtml = out.resolve("sim.html");
        goldenHtml = out.resolve("golden.html");
        Cli.Result s = Cli.run("simulate", program, "--input", input, "--report", out.resolve("sim.json"), "--html", simHtml, "-q");
        assertEquals(0, s.status(), s::toString);
        Cli.Result g = Cli.run("golden", model, "--input", input, "--report", out.resolve("golden.json"), "--html", goldenHtml, "-q");
        assertEquals(0, g.status(), g::toString);
        assertEquals(Set.of("sim.html", "sim.json", "golden.html", "golden.json"), Cli.listing(out), "no temporary files left");
        simReport = JSON.readTree(out.resolve("sim.json").toFile());
        goldenReport = JSON.readTree(out.resolve("golden.json").toFile());
    }

    // ------------------------------------------------------------------------------------------------ page content

    @Test
    void pagesNeedNoNetwork() throws IOException {
        for (Path p : List.of(simHtml, goldenHtml)) {
            String h = Files.readString(p);
            assertTrue(h.startsWith("<!DOCTYPE html>") && h.strip().endsWith("</html>"), p + " is a whole page");
            String lower = h.toLowerCase(java.util.Locale.ROOT);
            for (String external : List.of("<link", " src=", "@import", "<img", "<iframe", "@font-face", "fetch(", "xmlhttprequest")) {
                assertFalse(lower.contains(external), p + " refers to something outside itself: " + external);
            }
            // the SVG namespace is a name, not an address that is fetched; nothing else may look like a URL
            assertEquals(List.of(), allMatches(h.replace("http://www.w3.org/2000/svg", ""), "(?i)(https?:|ftp:|//[a-z0-9-]+\\.[a-z])[^\"' <]*"),
                    p + " has addresses in it");
            for (String u : allMatches(h, "url\\(([^)]*)\\)")) {
                assertTrue(u.startsWith("url(#"), p + " references " + u);
            }
        }
    }

    @Test
    void simulatePageDrawsOneBarPerLayerWithTheReportsNumbers() throws IOException {
        String h = Files.readString(simHtml);
        List<String> layers = allGroups(h, "<g class=\"row\" data-layer=\"([^\"]*)\"");
        assertEquals(List.copyOf(LAYERS.keySet()), layers, "one row per LeNet layer, in order");
        JsonNode rl = simReport.get("layers");
        assertEquals(LAYERS.size(), rl.size());
        Map<String, String> field = Map.of("bar-cycles", "cycles", "bar-compute", "computeBoundCycles", "bar-memory", "memoryBoundCycles",
                "bar-stall", "stallCycles", "bar-read", "dramReadBytes", "bar-write", "dramWriteBytes");
        for (Map.Entry<String, String> f : field.entrySet()) {
            List<String> values = allGroups(h, "<rect class=\"" + f.getKey() + "\"[^>]* data-value=\"(\\d+)\"");
            assertEquals(LAYERS.size(), values.size(), f.getKey() + " bars");
            for (int i = 0; i < values.size(); i++) {
                assertEquals(rl.get(i).get(f.getValue()).asLong(), Long.parseLong(values.get(i)), f.getKey() + " of layer " + i);
            }
        }
        List<String> util = allGroups(h, "<rect class=\"bar-util\"[^>]* data-value=\"([0-9.]+)\"");
        assertEquals(LAYERS.size(), util.size());
        // bar lengths are proportional to the values: the longest cycle bar belongs to the layer with the most cycles
        List<Double> widths = allGroups(h, "<rect class=\"bar-cycles\"[^>]* width=\"([0-9.]+)\"").stream().map(Double::parseDouble).toList();
        int longest = widths.indexOf(widths.stream().max(Double::compare).orElseThrow());
        long most = 0;
        int mostAt = -1;
        for (int i = 0; i < rl.size(); i++) {
            if (rl.get(i).get("cycles").asLong() > most) {
                most = rl.get(i).get("cycles").asLong();
                mostAt = i;
            }
        }
        assertEquals(mostAt, longest, "widths " + widths);
        assertTrue(h.contains(HtmlReport.num(simReport.get("totals").get("cycles").asLong())), "total cycles shown");
    }

    /**
     * The roofline: one dot per layer with MACs (LeNet's two Conv and three Gemm, not its two MaxPool), at the
     * intensity MACs / DRAM bytes with MACs from the architecture and bytes from the report, and the edge-16x16-ws
     * roofs of 16 x 16 = 256 MACs/cycle and 16 bytes/cycle from configs/edge-16x16-ws.json.
     */
    @Test
    void rooflinePlacesEveryLayerWithMacsAtItsIntensity() throws IOException {
        String h = Files.readString(simHtml);
        Matcher m = Pattern.compile("<circle class=\"point\"[^>]* data-layer=\"([^\"]*)\" data-intensity=\"([^\"]*)\" data-achieved=\"([^\"]*)\"")
                .matcher(h);
        Map<String, double[]> points = new HashMap<>();
        while (m.find()) {
            points.put(m.group(1), new double[] {Double.parseDouble(m.group(2)), Double.parseDouble(m.group(3))});
        }
        assertEquals(Set.of("/f/f.0/Conv", "/f/f.3/Conv", "/c/c.0/Gemm", "/c/c.2/Gemm", "/c/c.4/Gemm"), points.keySet());
        int i = 0;
        for (Map.Entry<String, Long> l : LAYERS.entrySet()) {
            JsonNode r = simReport.get("layers").get(i++);
            if (l.getValue() == 0) {
                continue;
            }
            double intensity = (double) l.getValue() / (r.get("dramReadBytes").asLong() + r.get("dramWriteBytes").asLong());
            double achieved = (double) l.getValue() / r.get("cycles").asLong();
            assertEquals(intensity, points.get(l.getKey())[0], intensity * 1e-5, "intensity of " + l.getKey());
            assertEquals(achieved, points.get(l.getKey())[1], achieved * 1e-5, "MACs/cycle of " + l.getKey());
        }
        assertTrue(h.contains("compute roof 256 MACs/cycle"), "compute roof of the 16x16 array");
        assertTrue(h.contains("bandwidth roof 16 B/cycle"), "bandwidth roof of 16 bytes/cycle");
        assertTrue(h.contains("meet at 16.0 MACs/byte"), "ridge point 256 / 16");
        // the roof is min(256, 16 x): its middle vertex (the ridge) is on the same height as its right end
        Matcher roof = Pattern.compile("<polyline id=\"roof\"[^>]* points=\"([^\"]*)\"").matcher(h);
        assertTrue(roof.find());
        String[] v = roof.group(1).trim().split("\\s+");
        assertEquals(3, v.length);
        assertEquals(v[1].split(",")[1], v[2].split(",")[1], "flat compute roof after the ridge");
        assertTrue(Double.parseDouble(v[0].split(",")[1]) > Double.parseDouble(v[1].split(",")[1]), "bandwidth roof rises to the ridge");
    }

    @Test
    void goldenPageHasTheAgreementTableAndTheRequantizationSummary() throws IOException {
        String h = Files.readString(goldenHtml);
        assertTrue(h.contains("id=\"verdict\" class=\"verdict pass\">PASS"), "LeNet agrees exactly in ort mode");
        List<String> comparisons = allGroups(h, "<tr class=\"comparison[^\"]*\"><td>([^<]*)</td>");
        assertEquals(List.of("ort-optimized", "ort-unoptimized", "ort-optimized-per-layer"), comparisons);
        List<String> tensors = allGroups(h, "<tr class=\"tensor\"><td class=\"n\">\\d+</td><td class=\"mono\">([^<]*)</td>");
        List<String> reported = new ArrayList<>();
        goldenReport.get("comparisons").get(0).get("tensors").forEach(t -> reported.add(HtmlReport.esc(t.get("name").asText())));
        assertEquals(reported, tensors, "one row per compared tensor");
        assertEquals(8, tensors.size(), "LeNet: 7 layer outputs and the flattened view");
        // three cells per tensor, one per comparison; ort mode agrees exactly on LeNet, so every cell is 'ok'
        assertEquals(3 * tensors.size(), count(h, "class=\"n cmp ok\""));
        assertEquals(0, count(h, "class=\"n cmp near\"") + count(h, "class=\"n cmp bad\""));
        // explain's groups: LeNet has two Conv, two MaxPool, a Flatten and three Gemm
        List<String> becomes = allGroups(h, "<tr class=\"group\"><td class=\"n\">\\d+</td><td class=\"mono\">[^<]*</td><td>([^<]*)<br>");
        assertEquals(8, becomes.size(), becomes.toString());
        assertEquals(2, becomes.stream().filter("CONV"::equals).count(), becomes.toString());
        assertEquals(3, becomes.stream().filter("MATMUL"::equals).count(), becomes.toString());
        assertEquals(2, becomes.stream().filter("MAXPOOL"::equals).count(), becomes.toString());
        assertTrue(h.contains("int32 accumulator bound") && h.contains("channels: m "), "requantization constants shown");
        assertTrue(h.contains("0 floating-point operations between layers"), "no-float audit shown");
        assertEquals(LAYERS.size(), count(h, "<rect class=\"bar-cycles\""), "the golden page has the simulation charts too");
    }

    @Test
    void htmlIntoAMissingFolderIsRefusedAndLeavesNothing(@TempDir Path d) {
        Path program = dir.resolve("lenet.ibc");
        Cli.Result r = Cli.run("simulate", program, "--timing-only", "--html", d.resolve("nothere/r.html"));
        Cli.assertRefused(r, Main.EXIT_INVALID, "nothere");
        assertEquals(Set.of(), Cli.listing(d));
    }

    // ------------------------------------------------------------------------------------------------ in Chromium

    /** Dumps the DOM after the page's scripts ran: the render check must say ok and count one bar per layer. */
    @Test
    void chartsRenderInChromiumWithoutScriptErrors() throws Exception {
        Path chromium = Chromium.find();
        Assumptions.assumeTrue(chromium != null, Chromium.MISSING);
        // the golden page: it holds the simulate page's charts as well (the same code draws both)
        for (Path page : List.of(goldenHtml)) {
            String dom = Chromium.dumpDom(chromium, page, dir);
            assertNull(attribute(dom, "<html", "data-script-error"), page + ": a script error occurred");
            String check = element(dom, "span", "render-check");
            assertNotNull(check, page + ": no render check in\n" + dom);
            assertEquals("ok", attribute(check, "<span", "data-status"), check);
            assertEquals("2", attribute(check, "<span", "data-charts"), "per-layer chart and roofline laid out: " + check);
            String n = String.valueOf(LAYERS.size());
            assertEquals(n, attribute(check, "<span", "data-cycle-bars"), check);
            assertEquals(n, attribute(check, "<span", "data-util-bars"), check);
            assertEquals(n, attribute(check, "<span", "data-dram-bars"), check);
            assertEquals("5", attribute(check, "<span", "data-roofline-points"), "LeNet's five layers with MACs: " + check);
        }
    }

    /** The detector itself: a page with a failing script must be caught, or the test above proves nothing. */
    @Test
    void aScriptErrorIsDetected(@TempDir Path d) throws Exception {
        Path chromium = Chromium.find();
        Assumptions.assumeTrue(chromium != null, Chromium.MISSING);
        String broken = Files.readString(simHtml).replace("</body>", "<script>undefinedFunctionOfTheTest();</script>\n</body>");
        Path page = Files.writeString(d.resolve("broken.html"), broken);
        String dom = Chromium.dumpDom(chromium, page, d);
        String err = attribute(dom, "<html", "data-script-error");
        assertNotNull(err, "the error handler did not record the failing script");
        assertTrue(err.contains("undefinedFunctionOfTheTest"), err);
    }

    /** A screenshot of the golden page shows the bars in their colours: the SVG was painted, not just parsed. */
    @Test
    void screenshotShowsTheCharts() throws Exception {
        Path chromium = Chromium.find();
        Assumptions.assumeTrue(chromium != null, Chromium.MISSING);
        Path png = dir.resolve("golden.png");
        Chromium.screenshot(chromium, goldenHtml, png, dir);
        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img, "not a PNG: " + png);
        assertEquals(1200, img.getWidth());
        Map<String, Integer> seen = new HashMap<>();
        Map<String, String> colours = Map.of("compute", HtmlReport.COMPUTE, "memory", HtmlReport.MEMORY, "stall", HtmlReport.STALL,
                "utilization", HtmlReport.UTIL, "DRAM read", HtmlReport.READ);
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int rgb = img.getRGB(x, y) & 0xffffff;
                for (Map.Entry<String, String> c : colours.entrySet()) {
                    if (close(rgb, Integer.parseInt(c.getValue().substring(1), 16))) {
                        seen.merge(c.getKey(), 1, Integer::sum);
                    }
                }
            }
        }
        for (String c : colours.keySet()) {
            // each series has seven bars (a few pixels high at the least) and a legend swatch of 12 x 12 pixels
            assertTrue(seen.getOrDefault(c, 0) > 300, c + " pixels: " + seen);
        }
    }

    private static boolean close(int a, int b) {
        for (int s = 0; s <= 16; s += 8) {
            if (Math.abs(((a >> s) & 0xff) - ((b >> s) & 0xff)) > 6) {
                return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------------------------------------ helpers

    static List<String> allGroups(String s, String regex) {
        Matcher m = Pattern.compile(regex).matcher(s);
        List<String> out = new ArrayList<>();
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    static List<String> allMatches(String s, String regex) {
        Matcher m = Pattern.compile(regex).matcher(s);
        List<String> out = new ArrayList<>();
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }

    static int count(String s, String what) {
        return ExplainCliTest.count(s, what);
    }

    /** The start tag of the element with this id, or null. */
    static String element(String dom, String tag, String id) {
        Matcher m = Pattern.compile("<" + tag + "\\b[^>]*\\bid=\"" + Pattern.quote(id) + "\"[^>]*>").matcher(dom);
        return m.find() ? m.group() : null;
    }

    /** An attribute of the first start tag beginning with {@code tagStart}, or null. */
    static String attribute(String dom, String tagStart, String name) {
        int i = dom.indexOf(tagStart);
        if (i < 0) {
            return null;
        }
        String tag = dom.substring(i, dom.indexOf('>', i) + 1);
        Matcher m = Pattern.compile("\\b" + Pattern.quote(name) + "=\"([^\"]*)\"").matcher(tag);
        return m.find() ? m.group(1) : null;
    }
}

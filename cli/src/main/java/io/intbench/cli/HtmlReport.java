package io.intbench.cli;

import io.intbench.golden.Explain;
import io.intbench.golden.GoldenReport;
import io.intbench.isa.HardwareConfig;
import io.intbench.sim.SimReport;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code --html} page of {@code simulate} and {@code golden}: one self-contained HTML file (inline CSS, charts
 * as inline SVG drawn here on the server side, no fonts, images or scripts from anywhere else), so that it opens
 * offline, can be mailed or attached to a CI run, and shows the same numbers as the JSON report.
 *
 * <p>Contents: totals; per layer, the attributed cycles with the compute, memory and stall time beside them,
 * the utilization and the DRAM traffic; a roofline plot (Williams, Waterman and Patterson, "Roofline: an
 * insightful visual performance model", CACM 2009) with the config's compute roof {@code rows * cols} MACs per
 * cycle and its bandwidth roof {@code dram.bytesPerCycle * intensity}; for golden, the agreement with ONNX Runtime
 * per tensor and per comparison, the no-float audit and the requantization summary of {@code explain}.
 *
 * <p>The page works without JavaScript. One small inline script at the end only checks that the charts were laid
 * out and records the result on {@code #render-check} ({@code data-status="ok"}); a handler installed first records
 * any script error on the root element ({@code data-script-error}). The headless-browser test reads both.
 */
public final class HtmlReport {
    private HtmlReport() { }

    // colours of the chart series; also named in the legends and looked for in the screenshot test
    static final String COMPUTE = "#3b6fd4";
    static final String MEMORY = "#e08a1e";
    static final String STALL = "#d0433a";
    static final String TOTAL = "#dde2ea";
    static final String UTIL = "#2a9d8f";
    static final String READ = "#6a51a3";
    static final String WRITE = "#b9a7de";

    /** The page for {@code simulate --html}. */
    public static String simulation(SimReport r, HardwareConfig cfg) {
        StringBuilder b = new StringBuilder();
        head(b, "intbench simulate: " + r.model() + " on " + r.config());
        b.append("<header><h1>").append(esc(r.model())).append("</h1><p class=\"sub\">simulated on ").append(esc(describe(cfg)))
                .append("; requantization ").append(esc(r.requant())).append("</p></header>\n");
        body(b, r, cfg);
        tail(b);
        return b.toString();
    }

    /**
     * The page for {@code golden --html}.
     *
     * @param pass    the command's verdict (the judged comparison within the tolerance)
     * @param explain {@link Explain#explain} of the same compiled model, or null to leave out the requantization table
     * @param note    an extra line under the title (data-set mode names the sample shown), or null
     */
    public static String golden(GoldenReport g, HardwareConfig cfg, Explain.Result explain, boolean pass, String note) {
        SimReport r = g.simulation();
        StringBuilder b = new StringBuilder();
        head(b, "intbench golden: " + g.model() + " on " + r.config());
        b.append("<header><h1>").append(esc(g.model())).append("</h1><p class=\"sub\">simulated on ").append(esc(describe(cfg)))
                .append("; requantization ").append(esc(g.requant())).append("; compared with ONNX Runtime ")
                .append(esc(g.reference().version())).append(" on ").append(esc(g.reference().cpu())).append("</p>");
        if (note != null) {
            b.append("<p class=\"sub\">").append(esc(note)).append("</p>");
        }
        b.append("</header>\n");
        String judgedName = judged(g);
        GoldenReport.Comparison judged = g.comparison(judgedName);
        GoldenReport.Totals jt = judged.totals();
        b.append("<p id=\"verdict\" class=\"verdict ").append(pass ? "pass" : "fail").append("\">").append(pass ? "PASS" : "FAIL")
                .append(": ").append(num(jt.exact())).append(" of ").append(num(jt.elements())).append(" elements in ")
                .append(num(jt.tensors())).append(" tensors agree exactly with ONNX Runtime (").append(esc(judgedName))
                .append("); largest difference ").append(lsb(jt.maxAbsDiffLsb())).append(", tolerance ").append(g.toleranceLsb())
                .append(" LSB. No-float audit: ").append(g.noFloat().floatOpsBetweenLayers())
                .append(" floating-point operations between layers; tensors between layers are ")
                .append(esc(String.join(", ", g.noFloat().interLayerTensorTypes()))).append(".</p>\n");
        body(b, r, cfg);
        agreement(b, g, judgedName);
        if (explain != null) {
            requant(b, explain);
        }
        tail(b);
        return b.toString();
    }

    /** ort mode is judged end to end, fixed-point layer by layer (as {@code Golden.run} decides). */
    static String judged(GoldenReport g) {
        boolean ort = "ort".equals(g.requant());
        String want = ort ? "ort-optimized" : "ort-optimized-per-layer";
        return g.comparison(want) != null ? want : g.comparisons().get(0).reference();
    }

    static String describe(HardwareConfig c) {
        return String.format(Locale.ROOT, "%s (%dx%d %s array = %d MACs/cycle, %d MHz, scratchpad %d KiB in %d banks, accumulator %d KiB,"
                        + " %d vector lanes, DRAM %d bytes/cycle with %d cycles latency)", c.name(), c.array().rows(), c.array().cols(),
                c.array().dataflow(), c.macsPerCycle(), c.clockMHz(), c.scratchpad().kib(), c.scratchpad().banks(), c.accumulator().kib(),
                c.vector().lanes(), c.dram().bytesPerCycle(), c.dram().latencyCycles());
    }

    // ------------------------------------------------------------------------------------------------ page frame

    private static void head(StringBuilder b, String title) {
        b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>").append(esc(title)).append("</title>\n")
                // first, so that an error in any later script is recorded where the test can see it
                .append("<script>window.addEventListener('error', function (e) {"
                        + " document.documentElement.setAttribute('data-script-error', String(e.message || e)); });</script>\n")
                .append("<style>\n").append(CSS).append("</style>\n</head>\n<body>\n");
    }

    private static void tail(StringBuilder b) {
        b.append("<footer>Written by intbench. Every chart is inline SVG: the page needs no network access."
                        + " <span id=\"render-check\" data-status=\"not checked (scripts off)\"></span></footer>\n")
                .append("<script>\n").append(CHECK_SCRIPT).append("</script>\n</body>\n</html>\n");
    }

    private static final String CSS = String.join("\n",
            "body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', Arial, sans-serif; margin: 24px auto;",
            "  max-width: 1180px; padding: 0 16px; color: #1d2330; background: #fff; font-size: 14px; }",
            "h1 { font-size: 22px; margin: 0 0 4px; word-break: break-all; } h2 { font-size: 17px; margin: 28px 0 6px; }",
            ".sub { color: #555e6e; margin: 2px 0; }",
            ".cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 16px 0; }",
            ".card { border: 1px solid #d8dde6; border-radius: 6px; padding: 8px 12px; min-width: 120px; }",
            ".card .v { font-size: 19px; font-weight: 600; } .card .k { color: #555e6e; font-size: 12px; }",
            ".verdict { padding: 10px 14px; border-radius: 6px; font-weight: 600; margin: 14px 0; }",
            ".verdict.pass { background: #e3f4e8; border: 1px solid #8ccf9f; } .verdict.fail { background: #fbe4e2; border: 1px solid #e79a92; }",
            "svg.chart { display: block; max-width: 100%; height: auto; }",
            "svg text { font-family: inherit; fill: #1d2330; } svg .muted { fill: #6b7485; } svg .grid { stroke: #e6e9ef; }",
            "svg .axis { stroke: #9aa3b2; } svg g.row:hover rect.hover { fill: #f3f5f9; }",
            ".caption { color: #555e6e; max-width: 900px; margin: 4px 0 10px; }",
            ".legend span { display: inline-block; margin-right: 14px; } .legend i { display: inline-block; width: 12px; height: 12px;",
            "  vertical-align: -1px; margin-right: 5px; border-radius: 2px; }",
            "table { border-collapse: collapse; margin: 6px 0 12px; font-size: 13px; }",
            "th, td { border-bottom: 1px solid #e3e7ee; padding: 4px 8px; text-align: left; vertical-align: top; }",
            "th { background: #f4f6f9; } td.n { text-align: right; font-variant-numeric: tabular-nums; }",
            "td.mono, .mono { font-family: ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 12px; overflow-wrap: anywhere; }",
            "td.ok { background: #e3f4e8; } td.near { background: #fff3d6; } td.bad { background: #fbe4e2; }",
            "tr.judged th, tr.judged td { font-weight: 600; }",
            "details summary { cursor: pointer; color: #3b4a66; margin: 8px 0; }",
            "footer { color: #6b7485; font-size: 12px; margin: 30px 0 10px; border-top: 1px solid #e3e7ee; padding-top: 8px; }",
            "");

    /**
     * Runs after the page is parsed: every chart must have been laid out with a real size and its bars must exist in
     * the layout; the result goes on #render-check for the headless-browser test (and the footer, for people).
     */
    private static final String CHECK_SCRIPT = String.join("\n",
            "(function () {",
            "  var out = document.getElementById('render-check');",
            "  var charts = document.querySelectorAll('svg.chart');",
            "  var sized = 0, problems = [];",
            "  for (var i = 0; i < charts.length; i++) {",
            "    var r = charts[i].getBoundingClientRect();",
            "    if (r.width >= 100 && r.height >= 100) { sized++; } else { problems.push(charts[i].id + ' is ' + r.width + 'x' + r.height); }",
            "  }",
            "  function laidOut(sel) {",
            "    var els = document.querySelectorAll(sel), n = 0;",
            "    for (var j = 0; j < els.length; j++) { var bb = els[j].getBBox(); if (bb.height > 0) { n++; } }",
            "    return n;",
            "  }",
            "  out.setAttribute('data-charts', String(sized));",
            "  out.setAttribute('data-cycle-bars', String(laidOut('#layers-chart rect.bar-cycles')));",
            "  out.setAttribute('data-util-bars', String(laidOut('#layers-chart rect.bar-util')));",
            "  out.setAttribute('data-dram-bars', String(laidOut('#layers-chart rect.bar-read')));",
            "  out.setAttribute('data-roofline-points', String(laidOut('#roofline circle.point')));",
            "  out.setAttribute('data-status', problems.length === 0 && charts.length > 0 ? 'ok' : 'failed: ' + problems.join('; '));",
            "  out.textContent = 'Rendered ' + sized + ' of ' + charts.length + ' charts.';",
            "})();",
            "");

    // ------------------------------------------------------------------------------------------------ shared body

    private static void body(StringBuilder b, SimReport r, HardwareConfig cfg) {
        SimReport.Totals t = r.totals();
        b.append("<section class=\"cards\">\n");
        card(b, num(t.cycles()), "cycles");
        card(b, String.format(Locale.ROOT, "%.4g ms", t.cycles() / (cfg.clockMHz() * 1e3)), "at " + cfg.clockMHz() + " MHz");
        card(b, num(t.macs()), "MACs");
        card(b, String.format(Locale.ROOT, "%.3f", t.utilization()), "utilization (MACs / cycles / " + cfg.macsPerCycle() + ")");
        card(b, bytes(t.dramReadBytes()), "DRAM read");
        card(b, bytes(t.dramWriteBytes()), "DRAM written");
        card(b, String.format(Locale.ROOT, "%.3f", t.schedulingRatio()), "scheduling ratio");
        card(b, num(r.layers().size()), "layers");
        b.append("</section>\n");
        layersChart(b, r.layers());
        roofline(b, r.layers(), cfg);
        layerTable(b, r);
    }

    private static void card(StringBuilder b, String value, String key) {
        b.append("<div class=\"card\"><div class=\"v\">").append(esc(value)).append("</div><div class=\"k\">").append(esc(key))
                .append("</div></div>\n");
    }

    // ------------------------------------------------------------------------------------------------ per-layer chart

    static final int ROW = 28;
    private static final int TOP = 46;
    private static final int LABEL_W = 270;
    private static final int CYC_X = 280;
    private static final int CYC_W = 400;
    private static final int UTIL_X = 760;
    private static final int UTIL_W = 140;
    private static final int DRAM_X = 950;
    private static final int DRAM_W = 150;
    private static final int WIDTH = 1160;

    private static void layersChart(StringBuilder b, List<SimReport.LayerStats> layers) {
        b.append("<h2>Per layer: cycles, utilization, DRAM traffic</h2>\n<p class=\"caption legend\">")
                .append("<span><i style=\"background:").append(TOTAL).append("\"></i>cycles attributed to the layer</span>")
                .append("<span><i style=\"background:").append(COMPUTE).append("\"></i>compute (array and vector busy)</span>")
                .append("<span><i style=\"background:").append(MEMORY).append("\"></i>memory (DMA busy)</span>")
                .append("<span><i style=\"background:").append(STALL).append("\"></i>stall (waiting for data)</span>")
                .append("<span><i style=\"background:").append(UTIL).append("\"></i>utilization</span>")
                .append("<span><i style=\"background:").append(READ).append("\"></i>DRAM read</span>")
                .append("<span><i style=\"background:").append(WRITE).append("\"></i>DRAM written</span></p>\n")
                .append("<p class=\"caption\">The load, execute and store queues run in parallel, so a layer's compute, memory and"
                        + " stall times overlap: they are drawn side by side under its cycle bar, on the same scale, not stacked."
                        + " A layer's cycles run from the end of the previous layer to its own end and add up to the total.</p>\n");
        long maxCycles = 1;
        long maxBytes = 1;
        for (SimReport.LayerStats l : layers) {
            maxCycles = Math.max(maxCycles, Math.max(l.cycles(), Math.max(l.computeBoundCycles(), Math.max(l.memoryBoundCycles(), l.stallCycles()))));
            maxBytes = Math.max(maxBytes, l.dramReadBytes() + l.dramWriteBytes());
        }
        double cycMax = niceCeil(maxCycles);
        double byteMax = niceCeil(maxBytes);
        int h = TOP + ROW * layers.size() + 8;
        b.append(String.format(Locale.ROOT, "<svg id=\"layers-chart\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\""
                + " height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"per-layer cycles, utilization and DRAM traffic\">%n",
                WIDTH, h, WIDTH, h));
        // panel titles and scale ticks
        text(b, 4, 16, "start", "layer (op)", "muted");
        text(b, CYC_X, 16, "start", "cycles", null);
        text(b, UTIL_X, 16, "start", "utilization", null);
        text(b, DRAM_X, 16, "start", "DRAM bytes", null);
        ticks(b, CYC_X, CYC_W, cycMax, h, false);
        ticks(b, UTIL_X, UTIL_W, 1.0, h, false);
        ticks(b, DRAM_X, DRAM_W, byteMax, h, true);
        for (int i = 0; i < layers.size(); i++) {
            SimReport.LayerStats l = layers.get(i);
            int y = TOP + i * ROW;
            b.append(String.format(Locale.ROOT, "<g class=\"row\" data-layer=\"%s\">", esc(l.name())));
            b.append(String.format(Locale.ROOT, "<rect class=\"hover\" x=\"0\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\""
                    + " pointer-events=\"all\"/>", y - 2, WIDTH, ROW));
            b.append("<title>").append(esc(String.format(Locale.ROOT, "%d. %s (%s)%ncycles %s, compute %s, memory %s, stall %s%n"
                            + "MACs %s, utilization %.3f%nDRAM read %s, written %s", i + 1, l.name(), l.op(), num(l.cycles()),
                    num(l.computeBoundCycles()), num(l.memoryBoundCycles()), num(l.stallCycles()), num(l.macs()), l.utilization(),
                    bytes(l.dramReadBytes()), bytes(l.dramWriteBytes())))).append("</title>");
            text(b, 4, y + 16, "start", rowLabel(i + 1, l), null);
            // cycles: the attributed cycles as a wide pale bar, the three overlapping components as thin bars inside
            rect(b, "bar-cycles", CYC_X, y, w(l.cycles(), cycMax, CYC_W), ROW - 4, TOTAL, l.cycles());
            rect(b, "bar-compute", CYC_X, y + 2, w(l.computeBoundCycles(), cycMax, CYC_W), 6, COMPUTE, l.computeBoundCycles());
            rect(b, "bar-memory", CYC_X, y + 9, w(l.memoryBoundCycles(), cycMax, CYC_W), 6, MEMORY, l.memoryBoundCycles());
            rect(b, "bar-stall", CYC_X, y + 16, w(l.stallCycles(), cycMax, CYC_W), 6, STALL, l.stallCycles());
            double cw = w(Math.max(Math.max(l.cycles(), l.stallCycles()), Math.max(l.computeBoundCycles(), l.memoryBoundCycles())), cycMax, CYC_W);
            // every panel leaves room right of its scale for the value, so labels never cover a bar
            text(b, CYC_X + cw + 4, y + 16, "start", num(l.cycles()), "muted");
            // utilization on [0, 1]
            double uw = w(l.utilization(), 1.0, UTIL_W);
            b.append(String.format(Locale.ROOT, "<rect class=\"bar-util\" x=\"%d\" y=\"%d\" width=\"%.2f\" height=\"%d\" fill=\"%s\""
                    + " data-value=\"%s\"/>", UTIL_X, y + 4, uw, ROW - 12, UTIL, String.format(Locale.ROOT, "%.6f", l.utilization())));
            text(b, UTIL_X + uw + 4, y + 16, "start", String.format(Locale.ROOT, "%.2f", l.utilization()), "muted");
            // DRAM: read and written bytes add up to the layer's traffic, so these are stacked
            double rw = w(l.dramReadBytes(), byteMax, DRAM_W);
            double ww = w(l.dramWriteBytes(), byteMax, DRAM_W);
            rect(b, "bar-read", DRAM_X, y + 4, rw, ROW - 12, READ, l.dramReadBytes());
            rect(b, "bar-write", DRAM_X + rw, y + 4, ww, ROW - 12, WRITE, l.dramWriteBytes());
            text(b, DRAM_X + rw + ww + 4, y + 16, "start", bytes(l.dramReadBytes() + l.dramWriteBytes()), "muted");
            b.append("</g>\n");
        }
        b.append("</svg>\n");
    }

    /** "3. /f/f.3/Conv (QLinearConv)", shortened from the left of the name to fit the label column (the full name is in the tooltip). */
    static String rowLabel(int index, SimReport.LayerStats l) {
        int max = 38;
        String op = clip(l.op(), 18);
        String prefix = index + ". ";
        return prefix + clip(l.name(), Math.max(8, max - prefix.length() - op.length() - 3)) + " (" + op + ")";
    }

    /** Gridlines with 0, max/2 and max labelled, for a panel of width {@code width} starting at {@code x}. */
    private static void ticks(StringBuilder b, int x, int width, double max, int h, boolean asBytes) {
        for (int k = 0; k <= 4; k++) {
            double v = max * k / 4;
            double px = x + width * k / 4.0;
            b.append(String.format(Locale.ROOT, "<line class=\"grid\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>", px, TOP - 6, px, h - 4));
            if (k % 2 == 0) {
                String label = max <= 1.0 ? String.format(Locale.ROOT, "%.1f", v) : asBytes ? bytes((long) v) : compact(v);
                text(b, px, TOP - 10, k == 0 ? "start" : k == 4 ? "end" : "middle", label, "muted");
            }
        }
    }

    private static double w(double v, double max, int width) {
        return Math.max(0, v) / max * width;
    }

    private static void rect(StringBuilder b, String cls, double x, double y, double width, double height, String fill, long value) {
        b.append(String.format(Locale.ROOT, "<rect class=\"%s\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\" data-value=\"%d\"/>",
                cls, x, y, width, height, fill, value));
    }

    private static void text(StringBuilder b, double x, double y, String anchor, String s, String cls) {
        b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"12\"%s>%s</text>", x, y, anchor,
                cls == null ? "" : " class=\"" + cls + "\"", esc(s)));
    }

    // ------------------------------------------------------------------------------------------------ roofline

    /** One plotted layer: MACs per DRAM byte and MACs per cycle. */
    record RooflinePoint(int index, SimReport.LayerStats layer, double intensity, double achieved) { }

    /** Layers that have both MACs and DRAM traffic; the others have no place on a log-log roofline. */
    static List<RooflinePoint> rooflinePoints(List<SimReport.LayerStats> layers) {
        List<RooflinePoint> pts = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            SimReport.LayerStats l = layers.get(i);
            long bytes = l.dramReadBytes() + l.dramWriteBytes();
            if (l.macs() > 0 && bytes > 0 && l.cycles() > 0) {
                pts.add(new RooflinePoint(i + 1, l, (double) l.macs() / bytes, (double) l.macs() / l.cycles()));
            }
        }
        return pts;
    }

    private static final int RW = 820;
    private static final int RH = 470;
    private static final int RL = 70;
    private static final int RR = 20;
    private static final int RT = 20;
    private static final int RB = 50;

    private static void roofline(StringBuilder b, List<SimReport.LayerStats> layers, HardwareConfig cfg) {
        List<RooflinePoint> pts = rooflinePoints(layers);
        double peak = cfg.macsPerCycle();
        double bw = cfg.dram().bytesPerCycle();
        double ridge = peak / bw;
        b.append("<h2>Roofline</h2>\n<p class=\"caption\">Each dot is a layer with multiply-accumulates (numbered as above):"
                        + " x is its operational intensity, MACs per byte of DRAM traffic (read + written); y is the MACs per cycle it"
                        + " achieved (MACs / its cycles). The compute roof is the array's peak, ")
                .append(cfg.array().rows()).append(" x ").append(cfg.array().cols()).append(" = ").append(num((long) peak))
                .append(" MACs/cycle; the bandwidth roof is ").append(cfg.dram().bytesPerCycle())
                .append(" bytes/cycle x intensity; they meet at ").append(fmt(ridge)).append(" MACs/byte. A layer left of that point")
                .append(" cannot reach the peak even with perfect overlap; a dot far below both roofs lost time to latency, stalls or folding. Hover a dot for its layer.");
        int skipped = layers.size() - pts.size();
        if (skipped > 0) {
            b.append(" ").append(skipped).append(skipped == 1 ? " layer" : " layers")
                    .append(" without MACs (pooling, elementwise, tables) or without DRAM traffic are not plotted.");
        }
        b.append("</p>\n");
        double xmin = ridge;
        double xmax = ridge;
        double ymin = peak;
        for (RooflinePoint p : pts) {
            xmin = Math.min(xmin, p.intensity());
            xmax = Math.max(xmax, p.intensity());
            ymin = Math.min(ymin, p.achieved());
        }
        double lx0 = Math.floor(Math.log10(xmin) - 1e-9);
        double lx1 = Math.ceil(Math.log10(xmax) + 1e-9);
        double ly0 = Math.floor(Math.log10(ymin) - 1e-9);
        double ceil = Math.ceil(Math.log10(peak) + 1e-9);
        double ly1 = ceil - Math.log10(peak) < 0.15 ? ceil + 1 : ceil;   // room above the roof for its label
        double pw = RW - RL - RR;
        double ph = RH - RT - RB;
        java.util.function.DoubleUnaryOperator px = v -> RL + (Math.log10(v) - lx0) / (lx1 - lx0) * pw;
        java.util.function.DoubleUnaryOperator py = v -> RT + ph - (Math.log10(v) - ly0) / (ly1 - ly0) * ph;
        b.append(String.format(Locale.ROOT, "<svg id=\"roofline\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"roofline plot\">%n", RW, RH, RW, RH));
        b.append(String.format(Locale.ROOT, "<defs><clipPath id=\"plot-area\"><rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%.1f\"/></clipPath></defs>%n",
                RL, RT, pw, ph));
        // decade gridlines and labels
        for (int e = (int) lx0; e <= (int) lx1; e++) {
            double x = px.applyAsDouble(Math.pow(10, e));
            b.append(String.format(Locale.ROOT, "<line class=\"grid\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\"/>", x, RT, x, RT + ph));
            text(b, x, RT + ph + 16, "middle", decade(e), "muted");
        }
        for (int e = (int) ly0; e <= (int) ly1; e++) {
            double y = py.applyAsDouble(Math.pow(10, e));
            b.append(String.format(Locale.ROOT, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", RL, y, RL + pw, y));
            text(b, RL - 6, y + 4, "end", decade(e), "muted");
        }
        b.append(String.format(Locale.ROOT, "<rect class=\"axis\" x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%.1f\" fill=\"none\"/>", RL, RT, pw, ph));
        text(b, RL + pw / 2, RH - 10, "middle", "operational intensity (MACs per DRAM byte, log scale)", null);
        b.append(String.format(Locale.ROOT, "<text x=\"16\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"12\" transform=\"rotate(-90 16 %.1f)\">"
                + "achieved MACs per cycle (log scale)</text>", RT + ph / 2, RT + ph / 2));
        // the roofs: min(peak, bw * intensity), drawn over the plot's x range and clipped to it
        double x0 = Math.pow(10, lx0);
        double x1 = Math.pow(10, lx1);
        b.append(String.format(Locale.ROOT, "<g clip-path=\"url(#plot-area)\"><polyline id=\"roof\" fill=\"none\" stroke=\"#1d2330\""
                        + " stroke-width=\"2\" points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f\"/></g>%n",
                px.applyAsDouble(x0), py.applyAsDouble(bw * x0), px.applyAsDouble(ridge), py.applyAsDouble(peak), px.applyAsDouble(x1),
                py.applyAsDouble(peak)));
        text(b, RL + pw - 6, py.applyAsDouble(peak) - 6, "end", "compute roof " + num((long) peak) + " MACs/cycle", null);
        // the bandwidth roof's label runs along the roof, just above it, from where the roof enters the plot
        double bx = Math.max(x0, Math.pow(10, ly0) / bw) * 1.3;
        if (bx < ridge / 4) {
            double ax = px.applyAsDouble(bx);
            double ay = py.applyAsDouble(bw * bx);
            double angle = Math.toDegrees(Math.atan2(py.applyAsDouble(peak) - ay, px.applyAsDouble(ridge) - ax));
            b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" transform=\"rotate(%.2f %.1f %.1f)\">%s</text>",
                    ax, ay - 6, angle, ax, ay, esc("bandwidth roof " + cfg.dram().bytesPerCycle() + " B/cycle x intensity")));
        }
        b.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#9aa3b2\" stroke-dasharray=\"4 3\"/>",
                px.applyAsDouble(ridge), py.applyAsDouble(peak), px.applyAsDouble(ridge), RT + ph));
        List<double[]> placed = new ArrayList<>();
        for (RooflinePoint p : pts) {
            double cx = px.applyAsDouble(p.intensity());
            double cy = py.applyAsDouble(p.achieved());
            b.append(String.format(Locale.ROOT, "<g class=\"pt\"><circle class=\"point\" cx=\"%.1f\" cy=\"%.1f\" r=\"6\" fill=\"%s\""
                            + " fill-opacity=\"0.85\" stroke=\"#fff\" data-layer=\"%s\" data-intensity=\"%.6g\" data-achieved=\"%.6g\">"
                            + "<title>%s</title></circle>", cx, cy, COMPUTE, esc(p.layer().name()), p.intensity(), p.achieved(),
                    esc(String.format(Locale.ROOT, "%d. %s (%s): %s MACs/byte, %s MACs/cycle (%.1f%% of peak)", p.index(),
                            p.layer().name(), p.layer().op(), fmt(p.intensity()), fmt(p.achieved()), 100 * p.achieved() / peak))));
            // a number beside the dot unless it would cover one already written (the tooltip names every dot)
            double[] box = {cx + 7, cy - 17, cx + 9 + 7 * String.valueOf(p.index()).length(), cy - 4};
            if (placed.stream().noneMatch(o -> box[0] < o[2] && o[0] < box[2] && box[1] < o[3] && o[1] < box[3])) {
                placed.add(box);
                text(b, cx + 8, cy - 6, "start", String.valueOf(p.index()), "muted");
            }
            b.append("</g>\n");
        }
        b.append("</svg>\n");
    }

    private static String decade(int e) {
        return e >= 0 && e <= 6 ? num((long) Math.pow(10, e)) : "1e" + e;
    }

    // ------------------------------------------------------------------------------------------------ tables

    private static void layerTable(StringBuilder b, SimReport r) {
        b.append("<details><summary>Per-layer numbers</summary>\n<table id=\"layer-table\"><thead><tr><th>#</th><th>layer</th><th>op</th>"
                + "<th>MACs</th><th>cycles</th><th>compute</th><th>memory</th><th>stall</th><th>util</th><th>DRAM read</th>"
                + "<th>DRAM written</th><th>MACs/byte</th></tr></thead><tbody>\n");
        int i = 1;
        for (SimReport.LayerStats l : r.layers()) {
            long bytes = l.dramReadBytes() + l.dramWriteBytes();
            b.append("<tr><td class=\"n\">").append(i++).append("</td><td class=\"mono\">").append(esc(l.name())).append("</td><td>")
                    .append(esc(l.op())).append("</td>");
            for (long v : new long[] {l.macs(), l.cycles(), l.computeBoundCycles(), l.memoryBoundCycles(), l.stallCycles()}) {
                b.append("<td class=\"n\">").append(num(v)).append("</td>");
            }
            b.append("<td class=\"n\">").append(String.format(Locale.ROOT, "%.3f", l.utilization())).append("</td><td class=\"n\">")
                    .append(num(l.dramReadBytes())).append("</td><td class=\"n\">").append(num(l.dramWriteBytes())).append("</td><td class=\"n\">")
                    .append(bytes > 0 && l.macs() > 0 ? fmt((double) l.macs() / bytes) : "-").append("</td></tr>\n");
        }
        SimReport.Totals t = r.totals();
        b.append("<tr><th></th><th>total</th><th>").append(r.layers().size()).append(" layers</th><th>").append(num(t.macs()))
                .append("</th><th>").append(num(t.cycles())).append("</th><th></th><th></th><th></th><th>")
                .append(String.format(Locale.ROOT, "%.3f", t.utilization())).append("</th><th>").append(num(t.dramReadBytes()))
                .append("</th><th>").append(num(t.dramWriteBytes())).append("</th><th></th></tr>\n</tbody></table></details>\n");
    }

    private static void agreement(StringBuilder b, GoldenReport g, String judgedName) {
        b.append("<h2>Agreement with ONNX Runtime</h2>\n<p class=\"caption\">Every quantized tensor the program computes, compared"
                + " element by element in units of its quantization step (LSB). ort-optimized: ONNX Runtime with its default"
                + " optimisations (integer kernels); ort-unoptimized: optimisations off (DQ, float op, Q literally);"
                + " ort-optimized-per-layer: each layer run on ONNX Runtime's own inputs, so a tensor shows only the difference its"
                + " layer adds. The verdict uses ").append(esc(judgedName)).append(".</p>\n");
        b.append("<table id=\"agreement-summary\"><thead><tr><th>comparison</th><th>tensors</th><th>elements</th><th>exact</th>"
                + "<th>max difference</th></tr></thead><tbody>\n");
        for (GoldenReport.Comparison c : g.comparisons()) {
            GoldenReport.Totals t = c.totals();
            b.append("<tr class=\"comparison").append(c.reference().equals(judgedName) ? " judged" : "").append("\"><td>")
                    .append(esc(c.reference())).append("</td><td class=\"n\">").append(num(t.tensors())).append("</td><td class=\"n\">")
                    .append(num(t.elements())).append("</td><td class=\"n ").append(cls(t.exact(), t.elements(), t.maxAbsDiffLsb(), g.toleranceLsb()))
                    .append("\">").append(num(t.exact())).append("</td><td class=\"n\">").append(lsb(t.maxAbsDiffLsb())).append("</td></tr>\n");
        }
        b.append("</tbody></table>\n");
        // one row per tensor, one column group per comparison
        Map<String, GoldenReport.TensorComparison> first = new LinkedHashMap<>();
        for (GoldenReport.Comparison c : g.comparisons()) {
            for (GoldenReport.TensorComparison tc : c.tensors()) {
                first.putIfAbsent(tc.name(), tc);
            }
        }
        b.append("<table id=\"agreement-tensors\"><thead><tr><th>#</th><th>tensor</th><th>type</th><th>elements</th>");
        for (GoldenReport.Comparison c : g.comparisons()) {
            b.append("<th>").append(esc(c.reference())).append("<br><span class=\"sub\">exact / max diff</span></th>");
        }
        b.append("</tr></thead><tbody>\n");
        int i = 1;
        for (GoldenReport.TensorComparison t : first.values()) {
            b.append("<tr class=\"tensor\"><td class=\"n\">").append(i++).append("</td><td class=\"mono\"")
                    .append(t.inFloatGroup() ? " title=\"float in ONNX Runtime, judged within 1 LSB: " + esc(t.floatInOrt()) + "\"" : "")
                    .append(">").append(esc(t.name())).append(t.inFloatGroup() ? " (float in ORT)" : "")
                    .append("</td><td>").append(esc(t.dtype())).append("</td><td class=\"n\">").append(num(t.elements())).append("</td>");
            for (GoldenReport.Comparison c : g.comparisons()) {
                GoldenReport.TensorComparison tc = c.tensors().stream().filter(x -> x.name().equals(t.name())).findFirst().orElse(null);
                if (tc == null) {
                    b.append("<td>-</td>");
                    continue;
                }
                String title = tc.exact() == tc.elements() ? "" : " title=\"" + esc(tc.elements() - tc.exact() + " elements differ, first at index "
                        + tc.firstDiffIndex() + (tc.note() == null || tc.note().isEmpty() ? "" : "; " + tc.note())) + "\"";
                int tolerance = tc.inFloatGroup() ? Math.max(1, g.toleranceLsb()) : g.toleranceLsb();
                b.append("<td class=\"n cmp ").append(cls(tc.exact(), tc.elements(), tc.maxAbsDiffLsb(), tolerance)).append("\"")
                        .append(title).append(">").append(num(tc.exact())).append(" / ").append(lsb(tc.maxAbsDiffLsb())).append("</td>");
            }
            b.append("</tr>\n");
        }
        b.append("</tbody></table>\n");
    }

    /** ok: all exact; near: within the tolerance; bad: beyond it. */
    private static String cls(long exact, long elements, long maxDiff, int tolerance) {
        return exact == elements ? "ok" : maxDiff <= tolerance ? "near" : "bad";
    }

    private static void requant(StringBuilder b, Explain.Result e) {
        long integer = e.groups().stream().filter(g -> g.ort().startsWith("integer kernel")).count();
        b.append("<h2>Requantization summary (explain)</h2>\n<p class=\"caption\">Every quantized group of the model, the integer"
                        + " instruction it became and the requantization constants the compiler derived from the float scales (a"
                        + " multiplier and a shift per channel, or an integer table). ")
                .append(e.noFloat().floatOpsBetweenLayers()).append(" floating-point operations between the input quantization and"
                        + " the output dequantization; tensors between layers are ")
                .append(esc(String.join(", ", e.noFloat().interLayerTensorTypes()))).append("; ONNX Runtime runs ").append(integer)
                .append(" of these ").append(e.groups().size()).append(" groups as integer kernels too.</p>\n");
        b.append("<table id=\"requant\"><thead><tr><th>#</th><th>ONNX nodes</th><th>becomes</th><th>in / out</th>"
                + "<th>requantization</th><th>ONNX Runtime</th></tr></thead><tbody>\n");
        int i = 1;
        for (Explain.Group g : e.groups()) {
            b.append("<tr class=\"group\"><td class=\"n\">").append(i++).append("</td><td class=\"mono\">").append(esc(g.pattern()))
                    .append("</td><td>").append(esc(g.integerOp())).append("<br><span class=\"mono\">").append(esc(g.layer()))
                    .append("</span></td><td class=\"mono\">").append(esc(g.in())).append("<br>&rarr; ").append(esc(g.out()))
                    .append("</td><td class=\"mono\">").append(esc(g.requant())).append("</td><td>").append(esc(g.ort()))
                    .append("</td></tr>\n");
        }
        b.append("</tbody></table>\n");
    }

    // ------------------------------------------------------------------------------------------------ formatting

    /** Escapes text for HTML and SVG content and attribute values. */
    static String esc(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    static String num(long v) {
        return String.format(Locale.ROOT, "%,d", v);
    }

    private static String lsb(long d) {
        return d == Long.MAX_VALUE ? "n/a" : d + " LSB";
    }

    /** Three significant digits. */
    static String fmt(double v) {
        return v >= 1000 ? num(Math.round(v)) : String.format(Locale.ROOT, "%.3g", v);
    }

    static String bytes(long v) {
        if (v < 1000) {
            return v + " B";
        }
        return compact(v) + "B";
    }

    /** 1234 -> 1.23 k, 5422246 -> 5.42 M. */
    static String compact(double v) {
        String[] unit = {"", " k", " M", " G", " T"};
        int i = 0;
        while (Math.abs(v) >= 1000 && i < unit.length - 1) {
            v /= 1000;
            i++;
        }
        return (v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.3g", v)) + unit[i];
    }

    /** The smallest round number (1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8 times a power of ten) at or above {@code v}: a scale maximum whose quarters are round too. */
    static double niceCeil(double v) {
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }

    private static String clip(String s, int n) {
        return s.length() <= n ? s : "\u2026" + s.substring(s.length() - n + 1);
    }
}

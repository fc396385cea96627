package io.intbench.sim;

import java.util.List;

/**
 * The simulation report; field names are the JSON contract of DESIGN.md ({@code simulate --report}).
 */
public record SimReport(String model, String config, String requant, Totals totals, List<LayerStats> layers,
                        Counters counters) {

    /**
     * Totals. {@code boundCycles} is the sum over layers of max(compute bound, memory bound): what a
     * perfect scheduler that overlaps each layer's transfers with its compute would take;
     * {@code schedulingRatio = cycles / boundCycles} measures how far the compiled schedule is from it
     * (1.0 = perfect overlap).
     */
    public record Totals(long cycles, long macs, double utilization, long dramReadBytes, long dramWriteBytes,
                         long instructions, double timeMs, long boundCycles, double schedulingRatio) { }

    public record LayerStats(String name, String op, long macs, long cycles, long computeBoundCycles,
                             long memoryBoundCycles, long stallCycles, double utilization, long dramReadBytes,
                             long dramWriteBytes) { }

    /** Unit counters, named as Gemmini names its performance counters. */
    public record Counters(long EXEC_ARRAY_BUSY_CYCLES, long EXEC_VECTOR_BUSY_CYCLES, long DMA_BUSY_CYCLES,
                           long DMA_PORT_WAIT_CYCLES, long EXEC_TOKEN_WAIT_CYCLES, long SPAD_BANK_CONFLICT_CYCLES) { }

    /** The per-layer table as CSV (RFC 4180 quoting), one header row. */
    public String csv() {
        StringBuilder sb = new StringBuilder(
                "name,op,macs,cycles,computeBoundCycles,memoryBoundCycles,stallCycles,utilization,dramReadBytes,dramWriteBytes\n");
        for (LayerStats l : layers) {
            sb.append(quote(l.name())).append(',').append(quote(l.op())).append(',').append(l.macs()).append(',')
                    .append(l.cycles()).append(',').append(l.computeBoundCycles()).append(',').append(l.memoryBoundCycles())
                    .append(',').append(l.stallCycles()).append(',').append(String.format(java.util.Locale.ROOT, "%.6f", l.utilization()))
                    .append(',').append(l.dramReadBytes()).append(',').append(l.dramWriteBytes()).append('\n');
        }
        return sb.toString();
    }

    private static String quote(String s) {
        return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    /** A per-layer text table and totals for the terminal. */
    public String table() {
        StringBuilder sb = new StringBuilder();
        int w = Math.max(5, layers.stream().mapToInt(l -> l.name().length()).max().orElse(5));
        w = Math.min(w, 40);
        String fmt = "%-" + w + "s %-18s %12s %11s %11s %11s %9s %6s %11s%n";
        sb.append(String.format(fmt, "layer", "op", "MACs", "cycles", "compute", "memory", "stall", "util", "DRAM bytes"));
        for (LayerStats l : layers) {
            String name = l.name().length() > w ? "…" + l.name().substring(l.name().length() - w + 1) : l.name();
            sb.append(String.format(fmt, name, l.op(), l.macs(), l.cycles(), l.computeBoundCycles(), l.memoryBoundCycles(),
                    l.stallCycles(), String.format("%.2f", l.utilization()), l.dramReadBytes() + l.dramWriteBytes()));
        }
        sb.append(String.format(fmt, "total", layers.size() + " layers", totals.macs(), totals.cycles(), "", "", "",
                String.format("%.2f", totals.utilization()), totals.dramReadBytes() + totals.dramWriteBytes()));
        return sb.toString();
    }
}

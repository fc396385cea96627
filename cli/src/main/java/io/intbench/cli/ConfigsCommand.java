package io.intbench.cli;

import io.intbench.isa.HardwareConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code intbench configs}: the bundled hardware presets with the numbers that decide a model's cycle count
 * (array shape and dataflow, peak MACs per cycle, on-chip memories, vector lanes, DRAM bandwidth and latency,
 * clock), so that a newcomer can pick a {@code --config} without opening the JSON files.
 */
@Command(name = "configs", mixinStandardHelpOptions = true,
        description = {"List the bundled hardware presets (for --config NAME) with their key numbers.",
            "configs/README.md documents every key and what each preset resembles."},
        footer = {"", "Examples:", "  intbench configs", "  intbench configs --json",
            "  intbench simulate model.ibc --config mid-32x32-ws --set dram.bytesPerCycle=64"})
final class ConfigsCommand implements Callable<Integer> {
    @Option(names = "--json", description = "Print the presets as a JSON array instead of a table.")
    boolean json;

    @Mixin
    Common.Verbose verbose = new Common.Verbose();

    @Option(names = {"-q", "--quiet"}, description = "Print the table without the explanatory lines.")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        List<HardwareConfig> presets = new ArrayList<>();
        for (String n : HardwareConfig.presetNames()) {
            presets.add(HardwareConfig.preset(n));
        }
        if (json) {
            System.out.println(Common.JSON.writeValueAsString(presets.stream().map(ConfigsCommand::json).toList()));
        } else {
            System.out.print(table(presets, HardwareConfig.defaultConfig().name()));
            if (!quiet) {
                System.out.println();
                System.out.println("peak MAC/s = rows x cols MACs per cycle at the clock; DRAM GB/s = bytes per cycle at the clock.");
                System.out.println("Use one with --config NAME (or a JSON file of the same keys); --set KEY=VALUE overrides one key,");
                System.out.println("e.g. --set array.rows=32. configs/README.md documents every key and what each preset resembles.");
            }
        }
        return 0;
    }

    /** One preset as JSON: the config's own keys, then the derived numbers. */
    static Map<String, Object> json(HardwareConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", c.name());
        m.put("default", c.name().equals(HardwareConfig.defaultConfig().name()));
        m.put("clockMHz", c.clockMHz());
        m.put("array", c.array());
        m.put("scratchpad", c.scratchpad());
        m.put("accumulator", c.accumulator());
        m.put("vector", c.vector());
        m.put("dram", c.dram());
        m.put("macsPerCycle", c.macsPerCycle());
        m.put("peakGmacPerSecond", (double) c.macsPerCycle() * c.clockMHz() / 1e3);
        m.put("dramGBPerSecond", (double) c.dram().bytesPerCycle() * c.clockMHz() / 1e3);
        m.put("hash", c.hashHex());
        return m;
    }

    /** The terminal table, one row per preset; the default is marked with '*'. */
    static String table(List<HardwareConfig> presets, String defaultName) {
        String fmt = "%-16s %-8s %-4s %10s %6s %10s %18s %8s %6s %11s %8s %8s%n";
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, fmt, "preset", "array", "flow", "MACs/cycle", "MHz",
                "peak MAC/s", "scratchpad", "acc", "lanes", "DRAM B/cyc", "GB/s", "latency"));
        for (HardwareConfig c : presets) {
            sb.append(String.format(Locale.ROOT, fmt, c.name() + (c.name().equals(defaultName) ? " *" : ""),
                    c.array().rows() + "x" + c.array().cols(), c.array().dataflow().name(), c.macsPerCycle(), c.clockMHz(),
                    si((double) c.macsPerCycle() * c.clockMHz() * 1e6),
                    kib(c.scratchpad().kib()) + "/" + c.scratchpad().banks() + " banks", kib(c.accumulator().kib()),
                    c.vector().lanes(), c.dram().bytesPerCycle(),
                    String.format(Locale.ROOT, "%.1f", c.dram().bytesPerCycle() * c.clockMHz() / 1e3),
                    c.dram().latencyCycles() + " cyc"));
        }
        sb.append("* default (used when --config is not given)\n");
        return sb.toString();
    }

    /** 256 -> "256 KiB", 16384 -> "16 MiB". */
    static String kib(int kib) {
        return kib >= 1024 && kib % 1024 == 0 ? kib / 1024 + " MiB" : kib + " KiB";
    }

    /** 256e9 -> "256 G", 15.4e12 -> "15.4 T". */
    static String si(double v) {
        String[] unit = {"", "k", "M", "G", "T", "P"};
        int i = 0;
        while (v >= 1000 && i < unit.length - 1) {
            v /= 1000;
            i++;
        }
        String n = v >= 100 || v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.3g", v);
        return n + " " + unit[i];
    }
}

package io.intbench.golden;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Describes the machine a golden run happened on, for the report's {@code reference.cpu} field:
 * ONNX Runtime's quantized kernels differ between CPUs (AVX2 vs VNNI vs ARM64, see NUMERICS.md), so
 * a reference result is only meaningful together with the CPU that produced it.
 */
public final class HostInfo {

    private HostInfo() {
    }

    /** The CPU model ({@code model name} of /proc/cpuinfo on Linux), else the JVM's {@code os.arch}. */
    public static String cpuModel() {
        return cpuModel(Path.of("/proc/cpuinfo"));
    }

    static String cpuModel(Path cpuinfo) {
        try {
            if (Files.isReadable(cpuinfo)) {
                String model = modelName(Files.readAllLines(cpuinfo));
                if (model != null) {
                    return model;
                }
            }
        } catch (IOException | RuntimeException e) {
            // An unreadable /proc is not an error for a report field: fall back to the architecture.
        }
        return System.getProperty("os.arch");
    }

    /** The value of the first {@code model name : ...} line (x86 Linux), or null. */
    static String modelName(List<String> cpuinfoLines) {
        for (String line : cpuinfoLines) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equals("model name")) {
                String v = line.substring(colon + 1).trim().replaceAll("\\s+", " ");
                if (!v.isEmpty()) {
                    return v;
                }
            }
        }
        return null;
    }

    /** The running JVM's version and vendor, e.g. {@code 17.0.15 (Debian)}. */
    public static String javaVersion() {
        return System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")";
    }
}

package io.intbench.sim;

/**
 * Whether the simulator's matrix products run the Vector API tile of intbench-simd
 * ({@code io.intbench.simd.IntGemm}) or its scalar loops. The two give bit-identical results (integer
 * arithmetic); the Vector API tile is several times faster on CPUs with wide vectors. It needs the
 * incubating module {@code jdk.incubator.vector} in the JVM's boot layer ({@code --add-modules
 * jdk.incubator.vector}, which the {@code intbench} launcher passes); without it the scalar loops run.
 * The system property {@code intbench.sim.vector=false} or {@link #setEnabled} turns the tile off.
 */
public final class Simd {
    private Simd() { }

    private static final boolean AVAILABLE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    private static volatile boolean enabled = AVAILABLE
            && !"false".equalsIgnoreCase(System.getProperty("intbench.sim.vector"));

    /** Whether the JVM has the Vector API module loaded. */
    public static boolean available() {
        return AVAILABLE;
    }

    /** Whether kernels use the Vector API tile now. */
    public static boolean enabled() {
        return enabled;
    }

    /** Turns the Vector API tile on or off; on needs {@link #available()}. */
    public static void setEnabled(boolean on) {
        if (on && !AVAILABLE) {
            throw new IllegalStateException("the Vector API kernels need the JVM option --add-modules jdk.incubator.vector");
        }
        enabled = on;
    }

    /** One line for reports: which kernels run. */
    public static String describe() {
        if (enabled) {
            int lanes = io.intbench.simd.IntGemm.lanes();
            return "Vector API tiles, " + lanes * 32 + "-bit vectors (" + lanes + " int lanes)";
        }
        return AVAILABLE ? "scalar loops (Vector API turned off)"
                : "scalar loops (start the JVM with --add-modules jdk.incubator.vector for the Vector API tiles)";
    }
}

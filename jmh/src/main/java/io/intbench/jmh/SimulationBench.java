package io.intbench.jmh;

import io.intbench.compiler.Compiler;
import io.intbench.isa.HardwareConfig;
import io.intbench.isa.HostTensor;
import io.intbench.isa.Program;
import io.intbench.sim.SimReport;
import io.intbench.sim.Simulator;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A whole model (the bundled MobileNetV2 unless {@code -p model=PATH}; run from the project root) on the
 * default config: the full simulation (functional and timing, one thread) and the timing model alone.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class SimulationBench {
    @Param({"examples/mobilenetv2-12-int8.onnx"})
    public String model;

    private HardwareConfig cfg;
    private Program program;
    private Map<String, HostTensor> inputs;

    @Setup
    public void setUp() {
        cfg = HardwareConfig.defaultConfig();
        program = Compiler.compile(Path.of(model), cfg, Compiler.Options.defaults()).program();
        inputs = Simulator.randomInputs(program, 1);
    }

    @Benchmark
    public Simulator.Run full() {
        return Simulator.run(program, cfg, inputs);
    }

    @Benchmark
    public SimReport timingOnly() {
        return Simulator.timingOnly(program, cfg);
    }
}

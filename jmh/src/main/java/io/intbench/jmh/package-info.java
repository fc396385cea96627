/**
 * JMH benchmarks of the simulator: {@link io.intbench.jmh.ConvKernelBench} (one CONV instruction on
 * MobileNetV2-shaped layers) and {@link io.intbench.jmh.SimulationBench} (a whole model, full and
 * timing-only). Built by the project's {@code mvn package}; run from the project root with
 * {@code java -jar jmh/target/benchmarks.jar} (JMH's options after it, e.g. {@code ConvKernelBench -f 1}).
 */
package io.intbench.jmh;

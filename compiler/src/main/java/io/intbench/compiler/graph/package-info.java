/**
 * The compiler's graph IR: a loaded model prepared by {@link io.intbench.compiler.graph.GraphPreparer}
 * into topologically sorted nodes, decoded constants (folded where exporters left constant subgraphs)
 * and a static type and shape for every tensor.
 */
package io.intbench.compiler.graph;

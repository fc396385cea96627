/** The contract between compiler and hardware. */
package io.intbench.isa;

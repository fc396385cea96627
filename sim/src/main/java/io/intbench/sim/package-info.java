/** intbench sim. */
package io.intbench.sim;

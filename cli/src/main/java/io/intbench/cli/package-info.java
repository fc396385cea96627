/** intbench cli. */
package io.intbench.cli;

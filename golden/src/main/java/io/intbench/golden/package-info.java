/** intbench golden. */
package io.intbench.golden;

/** intbench compiler. */
package io.intbench.compiler;

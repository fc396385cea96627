package io.intbench.golden.fuzz;

import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;

/**
 * Lets the system property {@value #PROPERTY} override a property's {@code tries}. {@code @Property(tries = ...)}
 * takes only a compile-time constant and jqwik's own {@code jqwik.tries.default} applies only to properties that
 * name no count, so the default build keeps its small constant and {@code -Dintbench.fuzz.tries=10000} (the
 * Maven profile {@code fuzz} of golden/pom.xml) runs the large differential campaign through the very same
 * property, generator and shrinking. jqwik reads property attributes after around-property hooks run.
 */
public final class FuzzTries implements AroundPropertyHook {

    /** System property with the number of tries, e.g. {@code -Dintbench.fuzz.tries=10000}. */
    public static final String PROPERTY = "intbench.fuzz.tries";

    @Override
    public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) {
        String v = System.getProperty(PROPERTY);
        if (v != null && !v.isBlank()) {
            int tries;
            try {
                tries = Integer.parseInt(v.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("-D" + PROPERTY + "=" + v + " is not a number of tries", e);
            }
            if (tries <= 0) {
                throw new IllegalArgumentException("-D" + PROPERTY + "=" + v + " must be positive");
            }
            context.attributes().setTries(tries);
        }
        return property.execute();
    }
}

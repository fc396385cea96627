package io.intbench.isa;

/**
 * The accelerator's units. Instructions are dispatched to three in-order queues (load, execute,
 * store) as in Gemmini and TVM VTA; the execute queue feeds both the systolic array and the vector
 * unit.
 */
public enum Unit {
    /** DMA from DRAM into the scratchpad (mvin). */
    LOAD,
    /** The rows x cols systolic array: int8 x int8 -> int32. */
    ARRAY,
    /** The vector / post-processing unit: requantization, elementwise ops, tables, pooling. */
    VECTOR,
    /** DMA from the scratchpad to DRAM (mvout). */
    STORE,
    /** Control: no data moves. */
    CONTROL;

    /** The queue an instruction of this unit waits in. */
    public Queue queue() {
        return switch (this) {
            case LOAD -> Queue.LOAD;
            case ARRAY, VECTOR, CONTROL -> Queue.EXEC;
            case STORE -> Queue.STORE;
        };
    }

    /** The three decoupled instruction queues; tokens pass only between neighbours. */
    public enum Queue { LOAD, EXEC, STORE }
}

package io.troupe.cluster.monitor;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.sun.management.OperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What this JVM's process uses, as the dashboard shows it: heap, garbage collection, CPU and resident memory. The
 * native memory PyTorch holds is not reported by PyTorch on CPU; {@code nativeBytes} (resident set minus committed
 * heap) bounds it from above. {@code gpuMemoryBytes} is null: a CPU build has no GPU to ask.
 *
 * @param processCpuLoad the process's share of all CPUs in [0, 1] (null where the JVM cannot tell)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Resources(long heapUsedBytes, long heapCommittedBytes, Long heapMaxBytes, long gcCount, long gcTimeMs,
                        Double processCpuLoad, double systemLoadAverage, int availableProcessors, int threads,
                        Long residentBytes, Long nativeBytes, Long gpuMemoryBytes) {

    /** This process, now. */
    public static Resources sample() {
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        long gcCount = 0;
        long gcTime = 0;
        List<GarbageCollectorMXBean> gcs = ManagementFactory.getGarbageCollectorMXBeans();
        for (GarbageCollectorMXBean gc : gcs) {
            gcCount += Math.max(0, gc.getCollectionCount());
            gcTime += Math.max(0, gc.getCollectionTime());
        }
        OperatingSystemMXBean os = ManagementFactory.getPlatformMXBean(OperatingSystemMXBean.class);
        double load = os.getProcessCpuLoad();
        Double cpu = load < 0 ? null : load;
        Long resident = readResidentBytes();
        return new Resources(heap.getUsed(), heap.getCommitted(), heap.getMax() > 0 ? heap.getMax() : null, gcCount,
                gcTime, cpu, os.getSystemLoadAverage(), os.getAvailableProcessors(),
                ManagementFactory.getThreadMXBean().getThreadCount(), resident,
                resident == null ? null : Math.max(0, resident - heap.getCommitted()), null);
    }

    /** VmRSS of /proc/self/status (Linux); null elsewhere. */
    private static Long readResidentBytes() {
        Path status = Path.of("/proc/self/status");
        if (!Files.isReadable(status)) {
            return null;
        }
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return null;
        }
        return null;
    }
}

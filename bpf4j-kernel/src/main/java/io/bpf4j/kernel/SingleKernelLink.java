package io.bpf4j.kernel;

import java.util.Optional;

/** A hook family whose attachment is exactly one bpf_link: it delegates to it, and describes itself with {@code what}. */
abstract sealed class SingleKernelLink implements Link
        permits TcxLink, RawTracepointLink, TracingLink, SkLookupLink, NetfilterLink, SockMapLink {
    private final KernelLink link;
    private final String what;

    SingleKernelLink(KernelLink link, String what) {
        this.link = link;
        this.what = what;
    }

    @Override
    public final Optional<KernelLink> kernelLink() {
        return Optional.of(link);
    }

    @Override
    public final void close() {
        link.close();
    }

    @Override
    public final String toString() {
        return what + " (" + link + ")";
    }
}

"""Peak resident memory of one call, read from Linux's /proc (benchmark scripts and tools).

Before the call, unused memory is returned to the OS (``gc.collect()`` + glibc ``malloc_trim``),
the resident set size is read (``VmRSS``) and the kernel's peak counter ``VmHWM`` is reset to it
by writing ``5`` to ``/proc/self/clear_refs`` (Linux >= 4.0). After the call, ``VmHWM`` is the
peak; peak minus the RSS before is what the call needed at most (activations, temporary blocks,
allocator slack). Run each measurement in a fresh process so that earlier work cannot hide in
memory the allocator keeps.
"""
import ctypes
import gc


def _status_kib(field):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise RuntimeError(f'{field} not in /proc/self/status')


def measure_peak_rss(fn):
    """Runs ``fn()``.

    Returns:
        tuple: ``(fn's result, RSS before the call in MiB, peak RSS during it in MiB)``.
    """
    gc.collect()
    try:
        ctypes.CDLL('libc.so.6').malloc_trim(0)
    except (OSError, AttributeError):
        pass
    before = _status_kib('VmRSS')
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')
    result = fn()
    return result, before / 1024, _status_kib('VmHWM') / 1024

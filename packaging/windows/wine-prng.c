// A stand-in for Windows' bcryptprimitives.dll, for running VisionFlow
// under Debian's Wine 8, which lacks it: Go's runtime (1.24 and later)
// draws its random numbers from ProcessPrng. Real Windows has the DLL;
// this file is only for `make wine-check`.
#include <windows.h>

// RtlGenRandom, exported by advapi32 as SystemFunction036.
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size) {
	while (size > 0) {
		ULONG n = size > 0x40000000 ? 0x40000000 : (ULONG)size;
		if (!SystemFunction036(data, n)) {
			return FALSE;
		}
		data += n;
		size -= n;
	}
	return TRUE;
}

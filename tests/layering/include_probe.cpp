// Built only by the layering tests (tests/layering/CMakeLists.txt): one translation unit that
// includes the header named by SOI_PROBE_HEADER with the include path of the module it stands for.
#include SOI_PROBE_HEADER

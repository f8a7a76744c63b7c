// The translation unit that the test precompiled headers are built with: CMake needs a
// target with one source to compile a header that other targets reuse.

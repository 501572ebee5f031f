// The sandbox spawns real processes (kubectl, shells); on a loaded two-core machine the 5 s default
// is too tight for hooks that start a sandbox while other work competes for the CPU.
jest.setTimeout(30_000);

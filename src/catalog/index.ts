// The one catalog of PCI facts. The validator, the greedy allocator and the Z3 encodings all read
// these modules; nothing else in pciplan states a fact about PCI.
export * from './connect.js';
export * from './controllers.js';
export * from './devices.js';
export * from './machines.js';

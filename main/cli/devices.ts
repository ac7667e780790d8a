import type { Command } from 'commander';

// Placeholder until this command group lands.
export function registerDevicesCommand(_program: Command): void {}

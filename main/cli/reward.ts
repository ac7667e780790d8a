import type { Command } from 'commander';

// Placeholder until this command group lands.
export function registerRewardCommands(_program: Command): void {}

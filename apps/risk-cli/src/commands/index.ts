import type { CliCommand } from '../command.js';
import { backtestCommand } from './backtest.js';
import { impliedVolCommand } from './implied-vol.js';
import { liquidationPriceCommand } from './liquidation-price.js';
import { marginCommand } from './margin.js';
import { maxSizeCommand } from './max-size.js';
import { priceCommand } from './price.js';
import { receiptHashCommand } from './receipt-hash.js';
import { replayCommand } from './replay.js';
import { stressCommand } from './stress.js';
import { varCommand } from './var.js';

/** Every subcommand, in the order --help lists them. */
export const COMMANDS: readonly CliCommand[] = [
  priceCommand,
  impliedVolCommand,
  marginCommand,
  replayCommand,
  stressCommand,
  maxSizeCommand,
  varCommand,
  backtestCommand,
  liquidationPriceCommand,
  receiptHashCommand,
];

export function findCommand(name: string): CliCommand | undefined {
  return COMMANDS.find((command) => command.name === name);
}

#!/usr/bin/env node
import { main } from '../topology/main.js';

process.exitCode = await main(process.argv.slice(2));

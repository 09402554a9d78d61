#!/usr/bin/env node
'use strict';
// The installed entry point: runs the compiled CLI (npm run build writes dist/).
require('../dist/main.js');

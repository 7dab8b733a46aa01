// A test OPC UA server of another implementation (node-opcua), for interoperability tests.
// Usage: node node_opcua_server.js PORT LOGFILE TIMEOUT_SECONDS [CHANGES_PER_SECOND]
// Listens on 127.0.0.1 only, security None (the test config allows it explicitly), exposes a
// mill in namespace urn:kgthread:test:mill/ with the same NodeIds as the asyncua test mill
// (i=6001, 6004, 6007, analog items with EngineeringUnits and EURange), publishes changing
// values and logs each one as a JSON line. Prints "READY <port>" when listening and exits by
// itself after TIMEOUT_SECONDS.
"use strict";
const fs = require("fs");
const {
  OPCUAServer,
  DataType,
  StatusCodes,
  standardUnits,
  SecurityPolicy,
  MessageSecurityMode,
} = require("node-opcua");

const [port, logFile, timeoutSeconds, rateArg] = process.argv.slice(2);
const rate = Number(rateArg || 60); // value changes per second over all nodes
const period = rate > 200 ? 10 : 50; // ms between ticks
const perTick = Math.max(1, Math.round((rate * period) / 1000 / 3)); // per node and tick
const MILL = "urn:kgthread:test:mill/";

async function main() {
  const server = new OPCUAServer({
    port: Number(port),
    host: "127.0.0.1",
    hostname: "127.0.0.1",
    resourcePath: "/kgthread/",
    securityPolicies: [SecurityPolicy.None],
    securityModes: [MessageSecurityMode.None],
    allowAnonymous: true,
  });
  await server.initialize();
  const addressSpace = server.engine.addressSpace;
  const namespace = addressSpace.registerNamespace(MILL);
  const mill = namespace.addObject({
    nodeId: "i=5001",
    browseName: "Mill01",
    organizedBy: addressSpace.rootFolder.objects,
  });
  const items = [
    [6001, "SpindleTemperature", standardUnits.degree_celsius, 0, 120],
    [6004, "SpindlePower", standardUnits.kilowatt, 0, 40],
    [6007, "AxisPosition", standardUnits.millimetre, -500, 500],
  ].map(([id, name, unit, low, high]) => ({
    key: `nsu=${MILL};i=${id}`,
    variable: namespace.addAnalogDataItem({
      nodeId: `i=${id}`,
      browseName: name,
      componentOf: mill,
      dataType: "Double",
      minimumSamplingInterval: 0, // exception-based: every change is reported
      engineeringUnits: unit,
      engineeringUnitsRange: { low, high },
      value: { dataType: DataType.Double, value: 0 },
    }),
  }));
  await server.start();
  const log = logFile === "-" ? null : fs.openSync(logFile, "a");
  console.log(`READY ${port}`);
  let tick = 0;
  const timer = setInterval(() => {
    const base = Date.now();
    const lines = [];
    for (let k = 0; k < perTick; k += 1) {
      tick += 1;
      // distinct source timestamps, 1/perTick of a tick apart
      const now = new Date(base + (k * period) / perTick);
      items.forEach(({ key, variable }, n) => {
        const value = Math.round((50 + 40 * Math.sin(tick / 5 + n) + n) * 1e6) / 1e6;
        variable.setValueFromSource({ dataType: DataType.Double, value }, StatusCodes.Good, now);
        if (log !== null) {
          lines.push(JSON.stringify({ node: key, value, t: now.getTime() / 1000, kind: "ok" }));
        }
      });
    }
    if (log !== null) fs.writeSync(log, lines.join("\n") + "\n");
  }, period);
  setTimeout(async () => {
    clearInterval(timer);
    if (log !== null) fs.closeSync(log);
    await server.shutdown(0);
    process.exit(0);
  }, Number(timeoutSeconds) * 1000);
  for (const signal of ["SIGTERM", "SIGINT"]) {
    process.on(signal, async () => {
      clearInterval(timer);
      await server.shutdown(0);
      process.exit(0);
    });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

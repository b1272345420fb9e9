import { expect } from 'chai';
import { defaultRouteInterface } from '../../../src/link/route-table.js';

// Captured from real machines (`cat /proc/net/route`), tabs as the kernel writes them.
const HEADER = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT';
const DEPOT_WIFI = `${HEADER}
wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0
wlan0\t0001A8C0\t00000000\t0001\t0\t0\t600\t00FFFFFF\t0\t0\t0
`;
const WIFI_AND_LTE = `${HEADER}
wwan0\t00000000\t0140A8C0\t0003\t0\t0\t700\t00000000\t0\t0\t0
wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0
wwan0\t0040A8C0\t00000000\t0001\t0\t0\t700\t00FFFFFF\t0\t0\t0
wlan0\t0001A8C0\t00000000\t0001\t0\t0\t600\t00FFFFFF\t0\t0\t0
`;
const LTE_ONLY = `${HEADER}
wwan0\t00000000\t0140A8C0\t0003\t0\t0\t700\t00000000\t0\t0\t0
docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0
`;
const NO_DEFAULT = `${HEADER}
eth0\t0000A8C0\t00000000\t0001\t0\t0\t100\t0000FFFF\t0\t0\t0
`;

describe('link/route-table', () => {
  it('reads the default route of a vehicle on depot Wi-Fi', () => {
    expect(defaultRouteInterface(DEPOT_WIFI)).to.equal('wlan0');
  });

  it('picks the default route with the lowest metric when Wi-Fi and LTE are both up', () => {
    expect(defaultRouteInterface(WIFI_AND_LTE)).to.equal('wlan0');
  });

  it('ignores non-default routes (docker bridge) and finds the LTE default', () => {
    expect(defaultRouteInterface(LTE_ONLY)).to.equal('wwan0');
  });

  it('answers null without a default route, for an empty table and for garbage', () => {
    expect(defaultRouteInterface(NO_DEFAULT)).to.equal(null);
    expect(defaultRouteInterface(HEADER + '\n')).to.equal(null);
    expect(defaultRouteInterface('')).to.equal(null);
    expect(defaultRouteInterface('not a route table\nx y\n')).to.equal(null);
  });

  it('skips a default route that is not up', () => {
    expect(defaultRouteInterface(`${HEADER}\nwlan0\t00000000\t0101A8C0\t0002\t0\t0\t600\t00000000\t0\t0\t0\n`)).to.equal(null);
  });
});

// The configs a network across hosts gets (localnet/hosts.ts, `network generate --hosts --l1-rpc`):
// services listen where the operator asked, the sidecar listens on every interface and binds on chain
// the address its host is dialed at; and a devnet that is not fresh is refused before anything is
// written. The whole path on real processes, one network namespace per host: test/integration/netns.test.ts.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { portBlock } from '../../cometbft-config/ports.js';
import type { Deployment } from '../../contracts/deploy.js';
import { generateHostsDevnet } from '../../localnet/hosts.js';
import { hostMultiaddr, writeLocalnetNodeConfig } from '../../localnet/l1-chains.js';
import { startTestAnvil } from '../anvil.js';

const dir = mkdtempSync(join(tmpdir(), 'seqpool-hosts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const deployment = {
  l1: { chainId: 31337, rpcUrl: 'http://10.0.0.1:8545', deployer: '0x' + '11'.repeat(20), startBlock: 1n, stakeToken: '0x' + '22'.repeat(20), lockingPool: '0x' + '33'.repeat(20), batchInbox: '0x' + '44'.repeat(20) },
  l2: { chainId: 31338, rpcUrl: 'http://10.0.0.1:8546', deployer: '0x' + '11'.repeat(20), startBlock: 1n, sequencerSet: '0x' + '55'.repeat(20) },
} as unknown as Deployment;

const read = (home: string) => ({
  node: JSON.parse(readFileSync(join(home, 'seqpool', 'node.json'), 'utf8')) as { gateway: { listen: string }; metrics: { listen: string }; cometRpcUrl: string; l1: { rpcUrl: string } },
  sidecar: JSON.parse(readFileSync(join(home, 'sidecar', 'sidecar.json'), 'utf8')) as { listen: string[]; announce?: string[]; metrics: { listen: string } },
});

test('a multiaddr for an IPv4 address, an IPv6 address and a DNS name', () => {
  expect(hostMultiaddr('10.1.2.3', 26660)).toBe('/ip4/10.1.2.3/tcp/26660');
  expect(hostMultiaddr('2001:db8::7', 26660)).toBe('/ip6/2001:db8::7/tcp/26660');
  expect(hostMultiaddr('val-3.example.org', 26660)).toBe('/dns/val-3.example.org/tcp/26660');
});

test('a localnet node listens on loopback; a node across hosts where asked, its sidecar announcing its host', () => {
  const ports = portBlock(26656);
  const local = join(dir, 'local');
  writeLocalnetNodeConfig({ home: local, rpcUrl: 'http://127.0.0.1:26657', ports }, deployment);
  expect(read(local)).toMatchObject({
    node: { gateway: { listen: '127.0.0.1:26659' }, metrics: { listen: '127.0.0.1:26663' } },
    sidecar: { listen: ['/ip4/127.0.0.1/tcp/26660'], metrics: { listen: '127.0.0.1:26664' } },
  });
  expect(read(local).sidecar.announce).toBeUndefined();

  const remote = join(dir, 'remote');
  writeLocalnetNodeConfig({ home: remote, rpcUrl: 'http://127.0.0.1:26657', ports }, deployment, { listenHost: '0.0.0.0', peerHost: 'val-3.example.org' });
  expect(read(remote)).toMatchObject({
    node: { gateway: { listen: '0.0.0.0:26659' }, metrics: { listen: '0.0.0.0:26663' }, cometRpcUrl: 'http://127.0.0.1:26657', l1: { rpcUrl: 'http://10.0.0.1:8545' } },
    sidecar: { listen: ['/ip4/0.0.0.0/tcp/26660'], announce: ['/dns/val-3.example.org/tcp/26660'], metrics: { listen: '0.0.0.0:26664' } },
  });
});

test('devnets that are not fresh, or not there, are refused before anything is written', async () => {
  const l1 = await startTestAnvil({ chainId: 31337 });
  const l2 = await startTestAnvil({ chainId: 31338 });
  const out = join(dir, 'net');
  const hosts = ['10.0.0.2:26656', '10.0.0.3:26656'];
  await expect(generateHostsDevnet({ dir: out, hosts, l1Rpc: 'http://127.0.0.1:1', l2Rpc: l2.url })).rejects.toThrow('no Ethereum JSON-RPC answers at --l1-rpc http://127.0.0.1:1');
  // The deployer has sent a transaction on L2: the contract addresses genesis would name are taken.
  await fetch(l2.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'anvil_setNonce', params: ['0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266', '0x1'] }) });
  await expect(generateHostsDevnet({ dir: out, hosts, l1Rpc: l1.url, l2Rpc: l2.url })).rejects.toThrow(`--l2-rpc ${l2.url} is not a fresh devnet: the deployer 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266 has sent 1 transactions there`);
  expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
});

import { parse } from 'smol-toml';
import { buildGenesis, type GenesisValidator } from '../../cometbft-config/genesis-doc.js';
import { defaultConfigToml, renderConfigToml, LOCALNET_TIMEOUTS, type NodeConfig } from '../../cometbft-config/config-toml.js';
import { validatorKeyFromSecret } from '../../cometbft-config/keys.js';
import { bytesToHex } from '@noble/hashes/utils.js';

function validator(name: string, power = 10n): GenesisValidator {
  const k = validatorKeyFromSecret(new TextEncoder().encode(name));
  return { name, address: bytesToHex(k.address).toUpperCase(), pubKey: k.pubKey, power };
}

describe('genesis', () => {
  const time = new Date('2025-01-02T03:04:05.678Z');

  test('has the 0.38 shape with secp256k1 only and vote extensions from height 2', () => {
    const v = validator('v0', 42n);
    const doc = buildGenesis({ chainId: 'c', validators: [v], genesisTime: time });
    expect(doc).toEqual({
      genesis_time: '2025-01-02T03:04:05.678Z',
      chain_id: 'c',
      initial_height: '1',
      consensus_params: {
        block: { max_bytes: '22020096', max_gas: '-1' },
        evidence: { max_age_num_blocks: '100000', max_age_duration: '172800000000000', max_bytes: '1048576' },
        validator: { pub_key_types: ['secp256k1'] },
        version: { app: '0' },
        abci: { vote_extensions_enable_height: '2' },
      },
      validators: [{ address: v.address, pub_key: { type: 'tendermint/PubKeySecp256k1', value: Buffer.from(v.pubKey).toString('base64') }, power: '42', name: 'v0' }],
      app_hash: '',
    });
  });

  test('app_state comes from the callback, which sees the final validators; bigints become strings', () => {
    const vs = [validator('a', 5n), validator('b', 7n)];
    let seen: GenesisValidator[] = [];
    const doc = buildGenesis({
      chainId: 'c',
      validators: vs,
      appState: (got) => {
        seen = got;
        return { total: got.reduce((s, x) => s + x.power, 0n), signers: got.map((x) => x.address) };
      },
    });
    expect(seen.map((x) => x.name)).toEqual(['a', 'b']);
    expect(seen[0]!.pubKey).toEqual(vs[0]!.pubKey);
    expect(doc.app_state).toEqual({ total: '12', signers: [vs[0]!.address, vs[1]!.address] });
    expect(buildGenesis({ chainId: 'c', validators: vs }).app_state).toBeUndefined();
  });

  test('refuses what CometBFT would refuse at start-up', () => {
    const v = validator('v');
    expect(() => buildGenesis({ chainId: 'x'.repeat(51), validators: [v] })).toThrow(/chain_id must be 1..50/);
    expect(() => buildGenesis({ chainId: 'c', validators: [] })).toThrow(/at least one validator/);
    expect(() => buildGenesis({ chainId: 'c', validators: [{ ...v, power: 0n }] })).toThrow(/power 0/);
    expect(() => buildGenesis({ chainId: 'c', validators: [{ ...v, address: '00'.repeat(20) }] })).toThrow(/does not match its pub_key/);
    expect(() => buildGenesis({ chainId: 'c', validators: [v, { ...v, name: 'dup' }] })).toThrow(/duplicate address/);
    expect(() => buildGenesis({ chainId: 'c', validators: [{ ...v, power: 2n ** 62n }] })).toThrow(/total voting power/);
    expect(() => buildGenesis({ chainId: 'c', validators: [v], blockMaxBytes: 0n })).toThrow(/block.max_bytes/);
  });
});

describe('config.toml', () => {
  const node: NodeConfig = {
    moniker: 'node3',
    proxyApp: 'unix:///tmp/x/abci.sock',
    p2pLaddr: 'tcp://127.0.0.1:30000',
    externalAddress: '127.0.0.1:30000',
    rpcLaddr: 'tcp://127.0.0.1:30001',
    persistentPeers: ['aa@127.0.0.1:1', 'bb@127.0.0.1:2'],
  };

  test('starts from the pinned binary default and applies the localnet overrides', async () => {
    const base = await defaultConfigToml();
    expect(base.version).toMatch(/^0\.38\./);
    const t = parse(renderConfigToml(base, node, 2)) as Record<string, Record<string, unknown>> & Record<string, unknown>;
    expect(t.moniker).toBe('node3');
    expect(t.proxy_app).toBe('unix:///tmp/x/abci.sock');
    expect(t.abci).toBe('socket');
    expect(t.db_backend).toBe('goleveldb');
    expect(t.log_level).toBe('info');
    expect(t.rpc!.laddr).toBe('tcp://127.0.0.1:30001');
    expect(t.rpc!.pprof_laddr).toBe('');
    expect(t.p2p!.laddr).toBe('tcp://127.0.0.1:30000');
    expect(t.p2p!.external_address).toBe('127.0.0.1:30000');
    expect(t.p2p!.persistent_peers).toBe('aa@127.0.0.1:1,bb@127.0.0.1:2');
    expect(t.p2p!.addr_book_strict).toBe(false);
    expect(t.p2p!.allow_duplicate_ip).toBe(true);
    expect(t.instrumentation!.prometheus).toBe(false);
    expect(t.consensus!.create_empty_blocks).toBe(true);
    for (const [k, v] of Object.entries(LOCALNET_TIMEOUTS)) expect(t.consensus![k]).toBe(v);
    // Untouched defaults survive the round trip (mempool stays as the binary ships it).
    expect(t.mempool).toEqual((base as Record<string, unknown>).mempool);
  });

  test('CometBFT\'s Prometheus is on, at the given address, only when the node has a metrics port', async () => {
    const base = await defaultConfigToml();
    const t = parse(renderConfigToml(base, { ...node, prometheusListen: '127.0.0.1:30006' }, 2)) as Record<string, Record<string, unknown>>;
    expect(t.instrumentation!.prometheus).toBe(true);
    expect(t.instrumentation!.prometheus_listen_addr).toBe('127.0.0.1:30006');
    expect(t.instrumentation!.namespace).toBe('cometbft'); // docs/operators.md names its series cometbft_*
  });

  test('timeouts, log level and extra keys are overridable; unknown keys fail loudly', async () => {
    const base = await defaultConfigToml();
    const text = renderConfigToml(base, { ...node, logLevel: 'debug', consensus: { timeout_commit: '1s' }, extra: { 'mempool.size': 77, log_format: 'json' } }, 2);
    const t = parse(text) as Record<string, Record<string, unknown>> & Record<string, unknown>;
    expect(t.log_level).toBe('debug');
    expect(t.consensus!.timeout_commit).toBe('1s');
    expect(t.consensus!.timeout_propose).toBe(LOCALNET_TIMEOUTS.timeout_propose);
    expect(t.mempool!.size).toBe(77);
    expect(t.log_format).toBe('json');
    expect(() => renderConfigToml(base, { ...node, extra: { 'consensus.timeout_comit': '1s' } }, 2)).toThrow(/no key consensus.timeout_comit/);
    expect(() => renderConfigToml(base, { ...node, extra: { 'nosuch.key': 1 } }, 2)).toThrow(/no section \[nosuch\]/);
    expect(() => renderConfigToml(base, { ...node, extra: { 'mempool.size': 'big' } }, 2)).toThrow(/is a number/);
  });

  test('peer limits grow to fit a large network', async () => {
    const base = await defaultConfigToml();
    const t = parse(renderConfigToml(base, node, 63)) as Record<string, Record<string, unknown>>;
    expect(t.p2p!.max_num_inbound_peers).toBe(63);
    expect(t.p2p!.max_num_outbound_peers).toBe(63);
    const small = parse(renderConfigToml(base, node, 3)) as Record<string, Record<string, unknown>>;
    expect(small.p2p!.max_num_inbound_peers).toBe((base.p2p as Record<string, unknown>).max_num_inbound_peers);
  });
});

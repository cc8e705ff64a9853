-- Argo CD health of a KServe v0.17 LLMInferenceService (llm-d), shipped by
-- servelayer: Argo CD v3.2 has a health check for InferenceService and none
-- for LLMInferenceService, so without this one a sync wave does not wait for
-- the model to load. Installed as argocd-cm's
-- resource.customizations.health.serving.kserve.io_LLMInferenceService
-- (argocd/health/argocd-cm.yaml holds this script verbatim).
--
--   Suspended    the serving.kserve.io/stop annotation is "true" (KServe
--                removes the workloads: the model is paused)
--   Progressing  no status yet, a generation KServe has not reconciled, or
--                Ready not True for a reason that can still resolve (pods
--                loading or Pending, such as GPUs short: KServe reports
--                MinimumReplicasUnavailable until they schedule)
--   Degraded     a condition False for a reason KServe reaches only when
--                it will not resolve by waiting: CombineBaseError (the
--                spec's presets do not merge), RefsInvalid (a gateway or
--                route ref the spec names is invalid), ProgressDeadlineExceeded
--                (a Deployment rollout the Deployment controller gave up on)
--   Healthy      Ready True for the current generation
local hs = {}
local terminal = {CombineBaseError = true, RefsInvalid = true, ProgressDeadlineExceeded = true}

local function describe(c)
  local s = c.type .. " " .. tostring(c.status)
  if c.reason ~= nil and c.reason ~= "" then
    s = s .. " (" .. c.reason .. ")"
  end
  if c.message ~= nil and c.message ~= "" then
    s = s .. ": " .. c.message
  end
  return s
end

local annotations = obj.metadata.annotations
if annotations ~= nil and annotations["serving.kserve.io/stop"] == "true" then
  hs.status = "Suspended"
  hs.message = "Stopped: serving.kserve.io/stop is \"true\"; KServe runs no model pods"
  return hs
end

if obj.status == nil or obj.status.conditions == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for KServe to report the LLMInferenceService's status"
  return hs
end

local generation = obj.metadata.generation
local observed = obj.status.observedGeneration
if generation ~= nil and (observed == nil or observed < generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for KServe to reconcile generation " .. tostring(generation)
  return hs
end

local ready = nil
for _, c in ipairs(obj.status.conditions) do
  if c.status == "False" and c.reason ~= nil and terminal[c.reason] then
    hs.status = "Degraded"
    hs.message = describe(c)
    return hs
  end
  if c.type == "Ready" then
    ready = c
  end
end

if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = "Ready"
  return hs
end

hs.status = "Progressing"
if ready ~= nil then
  hs.message = describe(ready)
else
  hs.message = "Waiting for KServe to report Ready"
end
return hs

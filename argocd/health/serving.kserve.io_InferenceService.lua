-- servelayer's health check for KServe's InferenceService, replacing Argo CD's
-- built-in one (argocd-cm key resource.customizations.health.serving.kserve.io_InferenceService;
-- see argocd/README.md, "Health checks").
--
-- Why: Argo CD's built-in check (v3.2) calls an InferenceService Degraded whenever
-- status.modelStatus.transitionStatus is neither UpToDate nor InProgress. KServe v0.17
-- leaves it empty while a predictor pod exists but is not ready: Pending for a GPU, or
-- vLLM still loading the weights (a pvc or oci source has no storage initializer to
-- report Loading). A sync that waits on health between sync waves then fails on the
-- first look instead of waiting, and a layer move aborts. Here an empty or InProgress
-- transition is Progressing; only a failed load or an invalid spec is Degraded.
local hs = {status = "Progressing", message = "Waiting for the InferenceService to report status"}
if obj.status == nil or obj.status.conditions == nil then
  return hs
end
local gen = obj.metadata.generation
local seen = obj.status.observedGeneration
if gen ~= nil and seen ~= nil and seen < gen then
  hs.message = "Waiting for KServe to observe generation " .. gen
  return hs
end
if obj.status.modelStatus ~= nil then
  local ts = obj.status.modelStatus.transitionStatus
  if ts == "BlockedByFailedLoad" or ts == "InvalidSpec" then
    hs.status = "Degraded"
    hs.message = "transitionStatus " .. ts
    local info = obj.status.modelStatus.lastFailureInfo
    if info ~= nil and info.message ~= nil and info.message ~= "" then
      hs.message = hs.message .. ": " .. info.message
    end
    return hs
  end
end
local ready = false
local waiting = ""
for _, c in ipairs(obj.status.conditions) do
  if c.type == "Stopped" then
    if c.status == "True" then
      hs.status = "Suspended"
      hs.message = "InferenceService is Stopped"
      return hs
    end
  elseif c.status == "True" then
    if c.type == "Ready" then
      ready = true
    end
  else
    if waiting ~= "" then
      waiting = waiting .. "; "
    end
    waiting = waiting .. c.type .. " " .. c.status
    if c.reason ~= nil and c.reason ~= "" then
      waiting = waiting .. " " .. c.reason
    end
    if c.message ~= nil and c.message ~= "" then
      waiting = waiting .. ": " .. c.message
    end
  end
end
if ready and waiting == "" then
  hs.status = "Healthy"
  hs.message = "InferenceService is healthy."
elseif waiting ~= "" then
  hs.message = "Waiting for: " .. waiting
end
return hs

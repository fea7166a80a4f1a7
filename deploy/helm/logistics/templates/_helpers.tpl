{{/*
Chart name, truncated to the 63 characters Kubernetes allows in a name.
*/}}
{{- define "logistics.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name. Truncated to 52 characters so that suffixes such as
"-worker" and "-migrate" still fit in 63.
*/}}
{{- define "logistics.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "logistics.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels.
*/}}
{{- define "logistics.labels" -}}
helm.sh/chart: {{ include "logistics.chart" . }}
{{ include "logistics.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: logistics
{{- end }}

{{/*
Selector labels shared by every component; each workload adds
app.kubernetes.io/component so that selectors never overlap.
*/}}
{{- define "logistics.selectorLabels" -}}
app.kubernetes.io/name: {{ include "logistics.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "logistics.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "logistics.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "logistics.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion | toString) }}
{{- end }}

{{- define "logistics.secretName" -}}
{{- required "existingSecret must name a Secret holding LOGISTICS_DATABASE_URL, LOGISTICS_REDIS_URL, LOGISTICS_NATS_URL, LOGISTICS_SECRETS_KEYS and LOGISTICS_JWKS_URL (or LOGISTICS_JWT_SECRET)" .Values.existingSecret }}
{{- end }}

{{- define "logistics.configMapName" -}}
{{- printf "%s-config" (include "logistics.fullname" .) }}
{{- end }}

{{/*
Non-secret settings as KEY: "value" lines. Used by the ConfigMap and, inline,
by the migration hook (which runs before the ConfigMap exists).
*/}}
{{- define "logistics.configData" -}}
LOGISTICS_HTTP_PORT: {{ .Values.containerPorts.http | toString | quote }}
LOGISTICS_GRPC_PORT: {{ .Values.containerPorts.grpc | toString | quote }}
{{- range $key, $value := .Values.config }}
{{- if not (kindIs "invalid" $value) }}
{{- if ne (toString $value) "" }}
{{ $key }}: {{ toString $value | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Pod-level settings shared by the server and the worker.
*/}}
{{- define "logistics.podCommon" -}}
serviceAccountName: {{ include "logistics.serviceAccountName" . }}
automountServiceAccountToken: {{ .Values.serviceAccount.automountServiceAccountToken }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
Environment of the server and the worker: ConfigMap first, then the Secret
(a key in both takes the Secret's value), then extraEnv.
*/}}
{{- define "logistics.containerEnv" -}}
envFrom:
  - configMapRef:
      name: {{ include "logistics.configMapName" . }}
  - secretRef:
      name: {{ include "logistics.secretName" . }}
{{- with .Values.extraEnv }}
env:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
Writable /tmp for a read-only root filesystem.
*/}}
{{- define "logistics.tmpVolumeMount" -}}
volumeMounts:
  - name: tmp
    mountPath: /tmp
{{- end }}

{{- define "logistics.tmpVolume" -}}
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: 256Mi
{{- end }}

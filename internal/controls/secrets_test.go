package controls

import "testing"

// notASecret is the fake credential the fixtures write in clear.
const notASecret = "hunter2-not-a-real-secret"

var secretsFixtures = map[string][]fixture{
	"IG-NO-LITERAL-SECRETS": {
		{name: "a literal database password", parts: parts(key, database, backups),
			edits: []edit{unset("aws_db_instance.db.manage_master_user_password"), set("aws_db_instance.db.password", notASecret)},
			want:  `aws_db_instance.db: password holds a literal value`},
		{name: "a literal secret value", parts: parts(key, secret),
			edits: []edit{set("aws_secretsmanager_secret_version.app.secret_string", notASecret)},
			want:  `aws_secretsmanager_secret_version.app: secret_string holds a literal value`},
		{name: "a literal auth token", parts: parts(key, cache),
			edits: []edit{set("aws_elasticache_replication_group.redis.auth_token", notASecret)},
			want:  `aws_elasticache_replication_group.redis: auth_token holds a literal value`},
		{name: "a literal password in a nested block", parts: parts(key),
			edits: []edit{add(part{"aws_mq_broker": m{"queue": m{"broker_name": "fixture", "engine_type": "RabbitMQ",
				"user": l{m{"username": "admin", "password": notASecret}}}}})},
			want: `aws_mq_broker.queue: user.password holds a literal value`},
		{name: "a sensitive name in another case", parts: parts(key),
			edits: []edit{set("aws_kms_key.data.tags.Token", notASecret)},
			want:  `aws_kms_key.data: tags.Token holds a literal value`},
		{name: "an AWS access key in user data", parts: parts(key, server),
			edits: []edit{set("aws_instance.server.user_data", "export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE")},
			want:  `aws_instance.server: user_data looks like a AWS access key`},
		{name: "a private key in a parameter", parts: parts(key),
			edits: []edit{add(part{"aws_ssm_parameter": m{"deploy-key": m{"name": "/influencegen/fixture/deploy-key", "type": "SecureString",
				"value": "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----"}}})},
			want: `aws_ssm_parameter.deploy-key: value looks like a private key`},
		{name: "a password in a URL", parts: parts(key, server),
			edits: []edit{set("aws_instance.server.user_data", "DATABASE_URL=postgres://odoo:"+notASecret+"@db.internal:5432/odoo")},
			want:  `aws_instance.server: user_data looks like a password in URL`},
		{name: "passes: a password from a reference", parts: parts(key, database, backups),
			edits: []edit{unset("aws_db_instance.db.manage_master_user_password"),
				set("aws_db_instance.db.password", "${aws_secretsmanager_secret_version.app.secret_string}")}},
	},
}

func TestSecretsControls(t *testing.T) { runFixtures(t, secretsFixtures) }

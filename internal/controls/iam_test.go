package controls

import "testing"

// adminPolicy is a managed policy of the given type allowing everything.
func adminPolicy(typ, name string) part {
	attrs := m{"name": name, "policy": policy(`{"Effect":"Allow","Action":"*","Resource":"*"}`)}
	switch typ {
	case "aws_iam_user_policy":
		attrs["user"] = "${aws_iam_user.ci.name}"
	case "aws_iam_group_policy":
		attrs["group"] = "${aws_iam_group.admins.name}"
	}
	return part{typ: m{name: attrs}}
}

// deployWith is the deploy role's policy with other statements.
func deployWith(statements ...string) edit {
	return set("aws_iam_role_policy.deploy.policy", policy(statements...))
}

// planWith is the plan role's policy with other statements.
func planWith(statements ...string) edit {
	return set("aws_iam_role_policy.plan.policy", policy(statements...))
}

// starIncludesIAM: Allow * on * includes role writes without a boundary,
// which IG-IAM-DELEGATION reports too.
var starIncludesIAM = []string{"IG-IAM-DELEGATION"}

const awsManagedPolicy = "arn:${data.aws_partition.partition.partition}:iam::aws:policy/"

var iamFixtures = map[string][]fixture{
	"IG-IAM-LEAST-PRIVILEGE": {
		{name: "a role policy allowing * on *", parts: parts(serverRole),
			edits: []edit{set("aws_iam_role_policy.server.policy", policy(`{"Effect":"Allow","Action":"*","Resource":"*"}`))},
			want:  `aws_iam_role_policy.server: allows * on *`, also: starIncludesIAM},
		{name: "* on * written as lists", parts: parts(serverRole),
			edits: []edit{set("aws_iam_role_policy.server.policy", policy(`{"Sid":"Everything","Effect":"Allow","Action":["s3:GetObject","*"],"Resource":["*"]}`))},
			want:  `aws_iam_role_policy.server: allows * on *`, also: starIncludesIAM},
		{name: "a managed policy allowing * on *", parts: parts(serverRole),
			edits: []edit{add(adminPolicy("aws_iam_policy", "admin"))},
			want:  `aws_iam_policy.admin: allows * on *`, also: starIncludesIAM},
		{name: "a user policy allowing * on *", parts: parts(serverRole),
			edits: []edit{add(adminPolicy("aws_iam_user_policy", "admin"))},
			want:  `aws_iam_user_policy.admin: allows * on *`, also: starIncludesIAM},
		{name: "a group policy allowing * on *", parts: parts(serverRole),
			edits: []edit{add(adminPolicy("aws_iam_group_policy", "admin"))},
			want:  `aws_iam_group_policy.admin: allows * on *`, also: starIncludesIAM},
		{name: "a role trusting every AWS principal", parts: parts(serverRole),
			edits: []edit{set("aws_iam_role.server.assume_role_policy", policy(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}`))},
			want:  `aws_iam_role.server: trusts every principal`},
		{name: "a role trusting every AWS principal, as a list", parts: parts(serverRole),
			edits: []edit{set("aws_iam_role.server.assume_role_policy", policy(`{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:root","*"]},"Action":"sts:AssumeRole"}`))},
			want:  `aws_iam_role.server: trusts every principal`},
		{name: "a role trusting anyone", parts: parts(serverRole),
			edits: []edit{set("aws_iam_role.server.assume_role_policy", policy(`{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}`))},
			want:  `aws_iam_role.server: trusts every principal`},
		{name: "a policy that is not JSON", parts: parts(serverRole),
			edits: []edit{set("aws_iam_role_policy.server.policy", "${data.aws_iam_policy_document.server.json")},
			want:  `aws_iam_role_policy.server: policy is not a JSON policy`},
		{name: "passes: a Deny of * on *", parts: parts(serverRole),
			edits: []edit{set("aws_iam_role_policy.server.policy", policy(`{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`))}},
	},
	"IG-IAM-BOUNDARY": {
		{name: "an environment role without a boundary", parts: parts(serverRole),
			edits: []edit{unset("aws_iam_role.server.permissions_boundary")},
			want:  `aws_iam_role.server: no permissions boundary`},
		{name: "a boundary that is no policy", parts: parts(serverRole),
			edits: []edit{set("aws_iam_role.server.permissions_boundary", accountARN+":role/influencegen-fixture-boundary")},
			want:  `aws_iam_role.server: no permissions boundary`},
		{name: "passes: the shared stack's roles need none", shared: true, parts: parts(serverRole),
			edits: []edit{unset("aws_iam_role.server.permissions_boundary")}},
	},
	"IG-IAM-DELEGATION": {
		{name: "iam:* on its roles, no boundary anywhere (the deploy role's first form)", shared: true, parts: parts(deployRole),
			edits: []edit{deployWith(ownState, listOwnState,
				`{"Sid":"ManageOwnIAM","Effect":"Allow","Action":["iam:*"],"Resource":["`+accountARN+`:role/influencegen-fixture-*"]}`)},
			want: `aws_iam_role_policy.deploy: statement "ManageOwnIAM" allows iam:CreateRole without an iam:PermissionsBoundary condition`},
		{name: "CreateRole without a boundary condition", shared: true, parts: parts(deployRole),
			edits: []edit{deployWith(ownState, listOwnState, neverRemove, neverEdit, attachListed,
				`{"Sid":"WriteRoles","Effect":"Allow","Action":["iam:CreateRole","iam:PutRolePolicy"],"Resource":["`+accountARN+`:role/influencegen-fixture-*"]}`)},
			want: `aws_iam_role_policy.deploy: statement "WriteRoles" allows iam:CreateRole without an iam:PermissionsBoundary condition`},
		{name: "PutRolePermissionsBoundary without a boundary condition", shared: true, parts: parts(deployRole),
			edits: []edit{deployWith(ownState, listOwnState, writeRoles, attachListed, neverRemove, neverEdit,
				`{"Sid":"SetBoundaries","Effect":"Allow","Action":["iam:PutRolePermissionsBoundary"],"Resource":["`+accountARN+`:role/influencegen-fixture-*"]}`)},
			want: `aws_iam_role_policy.deploy: statement "SetBoundaries" allows iam:PutRolePermissionsBoundary without an iam:PermissionsBoundary condition`},
		{name: "any managed policy attached", shared: true, parts: parts(deployRole),
			edits: []edit{deployWith(ownState, listOwnState, writeRoles, neverRemove, neverEdit,
				`{"Sid":"AttachAny","Effect":"Allow","Action":["iam:AttachRolePolicy"],"Resource":["`+accountARN+`:role/influencegen-fixture-*"],"Condition":{"StringEquals":{"iam:PermissionsBoundary":["`+boundaryARN+`"]}}}`)},
			want: `aws_iam_role_policy.deploy: statement "AttachAny" allows iam:AttachRolePolicy of any policy (no iam:PolicyARN condition)`},
		{name: "iam:* under a boundary condition also removes boundaries", shared: true, parts: parts(deployRole),
			edits: []edit{deployWith(ownState, listOwnState, neverRemove, neverEdit,
				`{"Sid":"ManageOwnIAM","Effect":"Allow","Action":["iam:*"],"Resource":["`+accountARN+`:role/influencegen-fixture-*"],"Condition":{"ArnEquals":{"iam:PolicyARN":["`+awsManagedPolicy+`ReadOnlyAccess"]},"StringEquals":{"iam:PermissionsBoundary":["`+boundaryARN+`"]}}}`)},
			want: `aws_iam_role_policy.deploy: statement "ManageOwnIAM" allows iam:DeleteRolePermissionsBoundary`},
		{name: "boundary removal allowed beside the delegation", shared: true, parts: parts(deployRole),
			edits: []edit{deployWith(ownState, listOwnState, writeRoles, attachListed, neverRemove, neverEdit,
				`{"Sid":"Unbind","Effect":"Allow","Action":["iam:DeleteRolePermissionsBoundary"],"Resource":["`+accountARN+`:role/influencegen-fixture-*"]}`)},
			want: `aws_iam_role_policy.deploy: statement "Unbind" allows iam:DeleteRolePermissionsBoundary`},
		{name: "boundary removal not denied", shared: true, parts: parts(deployRole),
			edits: []edit{deployWith(ownState, listOwnState, writeRoles, attachListed, neverEdit)},
			want:  `aws_iam_role_policy.deploy: delegates role writes but does not deny iam:DeleteRolePermissionsBoundary`},
		{name: "its own boundary editable", shared: true, parts: parts(deployRole),
			edits: []edit{deployWith(ownState, listOwnState, writeRoles, attachListed, neverRemove,
				`{"Sid":"ManagePolicies","Effect":"Allow","Action":["iam:CreatePolicyVersion","iam:SetDefaultPolicyVersion"],"Resource":["`+accountARN+`:policy/influencegen-*"]}`)},
			want: `aws_iam_role_policy.deploy: allows iam:CreatePolicyVersion on its own boundary ` + boundaryARN},
		{name: "role writes through NotAction", shared: true, parts: parts(deployRole),
			edits: []edit{deployWith(ownState, listOwnState, neverRemove, neverEdit,
				`{"Sid":"AllButBilling","Effect":"Allow","NotAction":["aws-portal:*","iam:DeleteRolePermissionsBoundary"],"Resource":["`+accountARN+`:role/influencegen-fixture-*"]}`)},
			want: `aws_iam_role_policy.deploy: statement "AllButBilling" allows iam:CreateRole without an iam:PermissionsBoundary condition`},
		{name: "a managed policy delegating role writes", shared: true, parts: parts(deployRole),
			edits: []edit{add(part{"aws_iam_policy": m{"delegate": m{"name": "influencegen-delegate", "policy": policy(
				`{"Sid":"CreateRoles","Effect":"Allow","Action":["iam:CreateRole"],"Resource":["*"]}`)}}})},
			want: `aws_iam_policy.delegate: statement "CreateRoles" allows iam:CreateRole without an iam:PermissionsBoundary condition`},
		{name: "passes: a policy that delegates nothing needs no denies", shared: true, parts: parts(deployRole),
			edits: []edit{deployWith(ownState, listOwnState)}},
	},
	"IG-STATE-LIST": {
		{name: "listing the state key but not env:/", shared: true, parts: parts(deployRole),
			edits: []edit{deployWith(ownState, writeRoles, attachListed, neverRemove, neverEdit,
				`{"Sid":"ListOwnStatePrefix","Effect":"Allow","Action":["s3:ListBucket"],"Resource":["`+stateARN+`"],"Condition":{"StringLike":{"s3:prefix":["fixture/terraform.tfstate","fixture/terraform.tfstate.tflock"]}}}`)},
			want: `aws_iam_role_policy.deploy: statement "ListOwnStatePrefix" lists Terraform state but not the workspace prefix env:/`},
		{name: "listing through s3:List*", shared: true, parts: parts(deployRole),
			edits: []edit{deployWith(ownState, writeRoles, attachListed, neverRemove, neverEdit,
				`{"Sid":"ListState","Effect":"Allow","Action":["s3:List*"],"Resource":["`+stateARN+`"],"Condition":{"StringEquals":{"s3:prefix":["fixture/terraform.tfstate"]}}}`)},
			want: `aws_iam_role_policy.deploy: statement "ListState" lists Terraform state but not the workspace prefix env:/`},
		{name: "passes: listing without a prefix condition", shared: true, parts: parts(deployRole),
			edits: []edit{deployWith(ownState, writeRoles, attachListed, neverRemove, neverEdit,
				`{"Sid":"ListModels","Effect":"Allow","Action":["s3:ListBucket"],"Resource":["arn:aws:s3:::influencegen-fixture-models-123456789012"]}`)}},
	},
	"IG-CI-PLAN-ROLE": {
		{name: "a GitHub trust without the audience", shared: true, parts: parts(planRole),
			edits: []edit{set("aws_iam_role.plan.assume_role_policy", policy(`{"Effect":"Allow","Principal":{"Federated":"${aws_iam_openid_connect_provider.github.arn}"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":["`+mainBranch+`"]}}}`))},
			want:  `aws_iam_role.plan: GitHub OIDC trust does not pin the audience sts.amazonaws.com`},
		{name: "a GitHub trust for another audience", shared: true, parts: parts(planRole),
			edits: []edit{set("aws_iam_role.plan.assume_role_policy", policy(`{"Effect":"Allow","Principal":{"Federated":"${aws_iam_openid_connect_provider.github.arn}"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"https://github.com/influencegen"},"StringLike":{"token.actions.githubusercontent.com:sub":["`+mainBranch+`"]}}}`))},
			want:  `aws_iam_role.plan: GitHub OIDC trust does not pin the audience sts.amazonaws.com`},
		{name: "a wildcard subject", shared: true, parts: parts(deployRole),
			edits: []edit{set("aws_iam_role.deploy.assume_role_policy", githubTrust("repo:influencegen/infrastructure:*"))},
			want:  `aws_iam_role.deploy: GitHub OIDC subject "repo:influencegen/infrastructure:*" is not one repository's exact subject`},
		{name: "a subject that is not a repository's", shared: true, parts: parts(deployRole),
			edits: []edit{set("aws_iam_role.deploy.assume_role_policy", githubTrust("environment:fixture"))},
			want:  `aws_iam_role.deploy: GitHub OIDC subject "environment:fixture" is not one repository's exact subject`},
		{name: "pull requests with AdministratorAccess", shared: true, parts: parts(planRole),
			edits: []edit{add(part{"aws_iam_role_policy_attachment": m{"plan-admin": m{"policy_arn": awsManagedPolicy + "AdministratorAccess", "role": "${aws_iam_role.plan.name}"}}})},
			want:  `aws_iam_role.plan: trusted for pull requests with ` + awsManagedPolicy + "AdministratorAccess"},
		{name: "pull requests with PowerUserAccess", shared: true, parts: parts(planRole),
			edits: []edit{add(part{"aws_iam_role_policy_attachment": m{"plan-power": m{"policy_arn": awsManagedPolicy + "PowerUserAccess", "role": "${aws_iam_role.plan.name}"}}})},
			want:  `aws_iam_role.plan: trusted for pull requests with ` + awsManagedPolicy + "PowerUserAccess"},
		{name: "pull requests taking the state lock (writing an object)", shared: true, parts: parts(planRole),
			edits: []edit{planWith(readOwnState, listPlanState, refreshSecrets, noObjectReads,
				`{"Sid":"TakeStateLock","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":["`+stateARN+`/fixture/terraform.tfstate.tflock"]}`)},
			want: `aws_iam_role.plan: trusted for pull requests, and plan allows s3:PutObject`},
		{name: "pull requests deleting objects", shared: true, parts: parts(planRole),
			edits: []edit{planWith(readOwnState, listPlanState, refreshSecrets, noObjectReads,
				`{"Sid":"ReleaseStateLock","Effect":"Allow","Action":["s3:DeleteObject"],"Resource":["`+stateARN+`/fixture/terraform.tfstate.tflock"]}`)},
			want: `aws_iam_role.plan: trusted for pull requests, and plan allows s3:DeleteObject`},
		{name: "pull requests reading every environment's secrets", shared: true, parts: parts(planRole),
			edits: []edit{planWith(readOwnState, listPlanState, noObjectReads,
				`{"Sid":"RefreshSecrets","Effect":"Allow","Action":["secretsmanager:GetSecretValue"],"Resource":["`+secretsARN+`influencegen/*"]}`)},
			want: `aws_iam_role.plan: trusted for pull requests, and plan reads secrets ` + secretsARN + `influencegen/* (not one environment's path)`},
		{name: "pull requests reading objects (no Deny)", shared: true, parts: parts(planRole),
			edits: []edit{planWith(readOwnState, listPlanState, refreshSecrets)},
			want:  `aws_iam_role.plan: trusted for pull requests without an explicit Deny of s3:GetObject on every object but its Terraform state`},
		{name: "a Deny that spares the models too", shared: true, parts: parts(planRole),
			edits: []edit{planWith(readOwnState, listPlanState, refreshSecrets,
				`{"Sid":"NoObjectReadsButOwnState","Effect":"Deny","Action":["s3:GetObject*"],"NotResource":["`+stateARN+`/fixture/terraform.tfstate","arn:aws:s3:::influencegen-fixture-models-123456789012/*"]}`)},
			want: `aws_iam_role.plan: trusted for pull requests without an explicit Deny of s3:GetObject`},
		{name: "a Deny under a condition", shared: true, parts: parts(planRole),
			edits: []edit{planWith(readOwnState, listPlanState, refreshSecrets,
				`{"Sid":"NoObjectReadsOutsideTheVPC","Effect":"Deny","Action":["s3:GetObject"],"Resource":["*"],"Condition":{"StringNotEquals":{"aws:SourceVpc":["vpc-0123456789abcdef0"]}}}`)},
			want: `aws_iam_role.plan: trusted for pull requests without an explicit Deny of s3:GetObject`},
		{name: "a Deny of other actions only", shared: true, parts: parts(planRole),
			edits: []edit{planWith(readOwnState, listPlanState, refreshSecrets,
				`{"Sid":"NoDeletes","Effect":"Deny","Action":["s3:DeleteObject"],"Resource":["*"]}`)},
			want: `aws_iam_role.plan: trusted for pull requests without an explicit Deny of s3:GetObject`},
		{name: "a Deny of one bucket's objects only", shared: true, parts: parts(planRole),
			edits: []edit{planWith(readOwnState, listPlanState, refreshSecrets,
				`{"Sid":"NoModelReads","Effect":"Deny","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::influencegen-fixture-models-123456789012/*"]}`)},
			want: `aws_iam_role.plan: trusted for pull requests without an explicit Deny of s3:GetObject`},
		{name: "passes: a Deny of every object", shared: true, parts: parts(planRole),
			edits: []edit{planWith(listPlanState, refreshSecrets, `{"Sid":"NoObjectReads","Effect":"Deny","Action":["s3:GetObject"],"Resource":["*"]}`)}},
		{name: "passes: a main-only role needs no Deny", shared: true, parts: parts(planRole),
			edits: []edit{set("aws_iam_role.plan.assume_role_policy", githubTrust(mainBranch)), planWith(readOwnState, listPlanState, refreshSecrets)}},
	},
}

func TestIAMControls(t *testing.T) { runFixtures(t, iamFixtures) }

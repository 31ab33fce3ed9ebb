-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "LogicModule" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "endpoint" TEXT NOT NULL,
    "docsPath" TEXT NOT NULL DEFAULT '/docs',
    "specSource" TEXT,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "origin" TEXT NOT NULL DEFAULT 'admin',
    "spec" JSONB,
    "specHash" TEXT,
    "specVersion" TEXT,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "lastError" TEXT,
    "statusDetail" JSONB,
    "lastEventAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "LogicModule_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ModuleHistory" (
    "id" UUID NOT NULL,
    "moduleId" UUID NOT NULL,
    "specHash" TEXT NOT NULL,
    "specVersion" TEXT,
    "previousHash" TEXT,
    "previousVersion" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "seq" SERIAL NOT NULL,

    CONSTRAINT "ModuleHistory_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Join" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "sourceType" TEXT NOT NULL,
    "fieldName" TEXT NOT NULL,
    "sourceKeyFields" TEXT[],
    "targetOperation" TEXT NOT NULL,
    "targetArgument" TEXT NOT NULL,
    "batchOperation" TEXT,
    "batchArgument" TEXT,
    "targetKeyField" TEXT NOT NULL DEFAULT 'id',
    "many" BOOLEAN NOT NULL DEFAULT false,
    "reverseFieldName" TEXT,
    "reverseOperation" TEXT,
    "reverseArgument" TEXT,
    "description" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Join_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "JoinRecord" (
    "id" UUID NOT NULL,
    "joinId" UUID NOT NULL,
    "sourceId" TEXT NOT NULL,
    "targetId" TEXT NOT NULL,
    "organization" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "JoinRecord_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ProcessedEvent" (
    "id" UUID NOT NULL,
    "messageId" TEXT NOT NULL,
    "moduleName" TEXT NOT NULL,
    "eventType" TEXT NOT NULL,
    "appliedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ProcessedEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "LogicModule_name_key" ON "LogicModule"("name");

-- CreateIndex
CREATE INDEX "ModuleHistory_moduleId_seq_idx" ON "ModuleHistory"("moduleId", "seq");

-- CreateIndex
CREATE UNIQUE INDEX "Join_name_key" ON "Join"("name");

-- CreateIndex
CREATE INDEX "JoinRecord_joinId_organization_sourceId_idx" ON "JoinRecord"("joinId", "organization", "sourceId");

-- CreateIndex
CREATE INDEX "JoinRecord_joinId_organization_targetId_idx" ON "JoinRecord"("joinId", "organization", "targetId");

-- CreateIndex
CREATE UNIQUE INDEX "JoinRecord_joinId_organization_sourceId_targetId_key" ON "JoinRecord"("joinId", "organization", "sourceId", "targetId");

-- CreateIndex
CREATE UNIQUE INDEX "ProcessedEvent_messageId_key" ON "ProcessedEvent"("messageId");

-- CreateIndex
CREATE INDEX "ProcessedEvent_moduleName_idx" ON "ProcessedEvent"("moduleName");

-- AddForeignKey
ALTER TABLE "ModuleHistory" ADD CONSTRAINT "ModuleHistory_moduleId_fkey" FOREIGN KEY ("moduleId") REFERENCES "LogicModule"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "JoinRecord" ADD CONSTRAINT "JoinRecord_joinId_fkey" FOREIGN KEY ("joinId") REFERENCES "Join"("id") ON DELETE CASCADE ON UPDATE CASCADE;

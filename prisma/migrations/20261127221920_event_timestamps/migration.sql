-- AlterTable
ALTER TABLE "ProcessedEvent" ADD COLUMN     "eventAt" TIMESTAMPTZ(3);
